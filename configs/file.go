package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// fileValue captures a value's YAML node, so the loader sees the text as
// written (`no` stays "no", `0x10` stays "0x10") and its line. The decoder
// leaves node nil for a null value.
type fileValue struct{ node ast.Node }

// UnmarshalYAML implements yaml.NodeUnmarshaler.
func (v *fileValue) UnmarshalYAML(n ast.Node) error {
	v.node = n
	return nil
}

// line is the 1-based line of the value, or 0 if unknown.
func (v fileValue) line() int {
	if v.node == nil || v.node.GetToken() == nil {
		return 0
	}
	return v.node.GetToken().Position.Line
}

// applyFile overrides c with the keys of the YAML document data, read from
// path. It returns one error per problem.
func (c *Config) applyFile(path string, data []byte) []error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc map[string]fileValue
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file or only comments
		}
		return []error{yamlError(path, err)}
	}
	var extra map[string]fileValue
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return []error{fmt.Errorf("%s: more than one YAML document; put all keys in one", path)}
	}

	var errs []error
	for _, f := range fields {
		v, ok := doc[f.Key]
		if !ok || v.node == nil {
			continue
		}
		c.origins[f.Key] = origin{file: path, line: v.line()}
		if f.setList != nil {
			items, err := listText(v.node)
			if err != nil {
				errs = append(errs, c.problem(f.Key, "", err.Error()))
				continue
			}
			f.setList(c, items)
			continue
		}
		s, null, err := scalarText(v.node)
		switch {
		case err != nil:
			errs = append(errs, c.problem(f.Key, "", err.Error()))
		case null:
			delete(c.origins, f.Key) // keeps its default
		default:
			if err := f.set(c, s); err != nil {
				errs = append(errs, c.problem(f.Key, eq(s), err.Error()))
			}
		}
	}

	var unknown []string
	for k := range doc {
		if _, ok := fieldByKey(k); !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown key %q (known keys: %s)",
			fileLine(path, doc[k].line()), k, knownKeys()))
	}
	return errs
}

// yamlError turns a go-yaml error into one line: path:line:column: message.
func yamlError(path string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tok := ye.GetToken(); tok != nil {
			return fmt.Errorf("%s:%d:%d: %s", path, tok.Position.Line, tok.Position.Column, ye.GetMessage())
		}
		return fmt.Errorf("%s: %s", path, ye.GetMessage())
	}
	return fmt.Errorf("%s: %v", path, err)
}

// fileLine is "path:line", or just path when the line is unknown.
func fileLine(path string, line int) string {
	if line <= 0 {
		return path
	}
	return fmt.Sprintf("%s:%d", path, line)
}

// scalarText returns a single value's text as written. null reports a null
// value (`~`, `null`); err reports a list, a mapping or anything else that is
// not a single value.
func scalarText(n ast.Node) (text string, null bool, err error) {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "", true, nil
	case *ast.StringNode:
		return n.Value, false, nil
	case *ast.LiteralNode: // block scalar: | or >
		return n.Value.Value, false, nil
	case *ast.TagNode: // e.g. !!str 12
		return scalarText(n.Value)
	case *ast.AnchorNode:
		return scalarText(n.Value)
	case *ast.AliasNode: // the decoder resolves aliases only at the top level
		return "", false, errors.New("uses an alias (*name); write the value out")
	case *ast.SequenceNode:
		return "", false, errors.New("is a list; want a single value")
	case *ast.MappingNode, *ast.MappingValueNode:
		return "", false, errors.New("is a mapping; want a single value")
	case ast.ScalarNode: // numbers, booleans, .inf, .nan: keep the text as written
		return n.GetToken().Value, false, nil
	}
	return "", false, fmt.Errorf("unsupported YAML value (%s); want a single value", n.Type())
}

// listText returns the items of a YAML sequence of single values.
func listText(n ast.Node) ([]string, error) {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
			continue
		case *ast.AnchorNode:
			n = t.Value
			continue
		}
		break
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, errors.New("want a list, e.g. [a, b] or one \"- item\" per line")
	}
	var items []string // nil for [], like the defaults
	for i, it := range seq.Values {
		s, null, err := scalarText(it)
		if err != nil {
			return nil, fmt.Errorf("item %d %s", i+1, err)
		}
		if null {
			return nil, fmt.Errorf("item %d is empty", i+1)
		}
		items = append(items, s)
	}
	return items, nil
}
