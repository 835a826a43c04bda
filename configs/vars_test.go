package configs

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVars_CoverConfig checks that every Config field with a yaml tag has
// exactly one Vars row, and every row a field.
func TestVars_CoverConfig(t *testing.T) {
	rows := make(map[string]Var, len(Vars))
	for _, v := range Vars {
		if _, dup := rows[v.Key]; dup {
			t.Errorf("key %q listed twice in Vars", v.Key)
		}
		rows[v.Key] = v
	}
	typ := reflect.TypeFor[Config]()
	tags := 0
	for i := range typ.NumField() {
		tag := typ.Field(i).Tag.Get("yaml")
		if tag == "" {
			continue
		}
		tags++
		if _, ok := rows[tag]; !ok {
			t.Errorf("Config.%s (yaml %q) has no Vars row", typ.Field(i).Name, tag)
		}
	}
	if tags != len(Vars) {
		t.Errorf("Config has %d yaml fields, Vars has %d rows", tags, len(Vars))
	}
}

func TestVars_Rows(t *testing.T) {
	keyRe := regexp.MustCompile(`^[a-z][a-z_]*[a-z]$`)
	for _, v := range Vars {
		if !strings.HasPrefix(v.Env, "HYBRIDCON_") {
			t.Errorf("%s: Env %q does not start with HYBRIDCON_", v.Key, v.Env)
		}
		if want := "HYBRIDCON_" + strings.ToUpper(v.Key); v.Env != want {
			t.Errorf("%s: Env = %q, want %q", v.Key, v.Env, want)
		}
		if !keyRe.MatchString(v.Key) {
			t.Errorf("key %q is not snake_case", v.Key)
		}
		if len(v.Meaning) < 20 || !strings.HasSuffix(v.Meaning, ".") {
			t.Errorf("%s: Meaning %q is not a sentence", v.Key, v.Meaning)
		}
	}
}

// TestVars_DefaultsMatch checks each documented default against Default(),
// written as one would set it in the environment.
func TestVars_DefaultsMatch(t *testing.T) {
	c := reflect.ValueOf(Default())
	typ := c.Type()
	for i := range typ.NumField() {
		key := typ.Field(i).Tag.Get("yaml")
		if key == "" || key == "node_id" { // node_id's default is computed
			continue
		}
		var got string
		switch v := c.Field(i).Interface().(type) {
		case string:
			got = v
		case bool:
			got = strconv.FormatBool(v)
		case []string:
			got = strings.Join(v, ",")
		case time.Duration:
			got = v.String()
		case int:
			got = strconv.Itoa(v)
		default:
			t.Fatalf("%s: unhandled type %T", key, v)
		}
		f, _ := fieldByKey(key)
		if f.Default != got {
			t.Errorf("%s: Vars default %q, Default() has %q", key, f.Default, got)
		}
	}
}

// TestVars_InDefaultFile checks hybridcon.yaml mentions every key: set, or
// commented out for node_id.
func TestVars_InDefaultFile(t *testing.T) {
	data, err := os.ReadFile("hybridcon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		prefix := "\n" + v.Key + ":"
		if v.Key == "node_id" {
			prefix = "\n# " + v.Key + ":"
		}
		if !strings.Contains(string(data), prefix) {
			t.Errorf("hybridcon.yaml has no line starting %q", strings.TrimPrefix(prefix, "\n"))
		}
	}
}

// TestVars_InReadme checks that the README's configuration table has a row
// for every setting, so a newcomer reading it sees every knob there is.
func TestVars_InReadme(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(readme), "| `"+v.Env+"` |") {
			t.Errorf("README.md's configuration table has no row for %s", v.Env)
		}
	}
}
