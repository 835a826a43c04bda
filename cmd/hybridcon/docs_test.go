package main

import (
	"os"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/configs"
)

const operationsDoc = "../../docs/operations.md"

// TestOperationsDocConfig keeps docs/operations.md's configuration
// reference faithful to the loader: a row per setting with its file key
// and default.
func TestOperationsDocConfig(t *testing.T) {
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range configs.Vars {
		def := "empty"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		row := "| `" + v.Env + "` | `" + v.Key + "` | " + def + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("%s: no row starting %q", operationsDoc, row)
		}
	}
}

// TestOperationsDocMetrics checks every hybridcon_* series a node
// exposes is described in docs/operations.md.
func TestOperationsDocMetrics(t *testing.T) {
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newNodeMetrics(configs.Default())
	if err != nil {
		t.Fatal(err)
	}
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// Series created on first use are not gathered before it.
	names := []string{"hybridcon_http_request_duration_seconds", "hybridcon_live_log_seq"}
	for _, f := range fams {
		if name := f.GetName(); strings.HasPrefix(name, "hybridcon_") {
			names = append(names, name)
		}
	}
	if len(names) < 14 {
		t.Errorf("only %d hybridcon_* families: %v", len(names), names)
	}
	for _, name := range names {
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("%s does not describe %s", operationsDoc, name)
		}
	}
}
