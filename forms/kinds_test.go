package forms

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"lifeboat"
)

// Every declared kind has a label, a payload, one export decision (FHIR
// resources or the reason it is not exported, never both, never neither)
// and an authority rule naming real roles: a kind missing one would be
// dropped from export, shown by its code or open to anyone, silently.
func TestKinds_EveryKindDecided(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			if k.Kind == "" {
				t.Fatal("a declaration has no kind")
			}
			if seen[k.Kind] {
				t.Errorf("declared twice")
			}
			seen[k.Kind] = true
			if strings.TrimSpace(k.Label) == "" {
				t.Errorf("no label")
			}
			if k.Payload == nil || k.Payload() == nil {
				t.Errorf("no payload")
			} else if v := reflect.ValueOf(k.Payload()); v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
				t.Errorf("payload %T is not a pointer to a struct", k.Payload())
			}
			switch {
			case len(k.FHIR) == 0 && strings.TrimSpace(k.NotExported) == "":
				t.Errorf("no export decision: name its FHIR resources or say why it is not exported")
			case len(k.FHIR) > 0 && k.NotExported != "":
				t.Errorf("both exported as %v and not exported (%q)", k.FHIR, k.NotExported)
			}
			if k.Exported() != (len(k.FHIR) > 0) {
				t.Errorf("Exported() = %v with FHIR %v", k.Exported(), k.FHIR)
			}
			switch k.Authority {
			case AuthClinical:
				if len(k.Roles) == 0 {
					t.Errorf("clinical kind allows no role")
				}
			case AuthPrivileged, AuthRoot, AuthDevice, AuthPINChange:
				if len(k.Roles) > 0 {
					t.Errorf("roles %v given to a kind whose authority does not read them", k.Roles)
				}
			default:
				t.Errorf("unknown authority %d", k.Authority)
			}
			for _, r := range k.Roles {
				if !r.Valid() {
					t.Errorf("unknown role %q", r)
				}
			}
			if got, ok := Spec(k.Kind); !ok || got.Kind != k.Kind {
				t.Errorf("Spec(%q) = %v, %v", k.Kind, got.Kind, ok)
			}
		})
	}
	if _, ok := Spec("x.from_a_newer_version"); ok {
		t.Error("Spec knows a kind nobody declared")
	}
}

// Every kind constant in forms and the root package (a const named
// Kind... whose value looks like "area.what") is declared in the registry:
// a new kind cannot be added without its decisions.
func TestKinds_EveryConstantDeclared(t *testing.T) {
	fset := gotoken.NewFileSet()
	var files []string
	for _, dir := range []string{".", ".."} {
		m, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != gotoken.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Kind") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != gotoken.STRING {
						continue
					}
					kind, _ := strconv.Unquote(lit.Value)
					if !strings.Contains(kind, ".") {
						continue
					}
					found++
					if _, ok := Spec(kind); !ok {
						t.Errorf("%s (%s, %q) is not declared in kindSpecs", id.Name, fset.Position(id.Pos()), kind)
					}
				}
			}
		}
	}
	if found < len(Kinds())-2 {
		t.Errorf("found only %d kind constants for %d declarations: is the scan still reading the right files?", found, len(Kinds()))
	}
}

// Each kind's payload survives JSON both empty and with every field set:
// a field the payload type cannot carry (unexported, "-", a custom codec
// that loses it) would be lost between devices.
func TestKinds_PayloadRoundTrip(t *testing.T) {
	for _, k := range Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			for _, filled := range []bool{false, true} {
				v := k.Payload()
				if filled {
					fill(reflect.ValueOf(v).Elem(), 0)
				}
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatalf("marshal %T: %v", v, err)
				}
				back := k.Payload()
				if err := json.Unmarshal(b, back); err != nil {
					t.Fatalf("unmarshal %T from %s: %v", back, b, err)
				}
				if !reflect.DeepEqual(v, back) {
					again, _ := json.Marshal(back)
					t.Errorf("%T does not round-trip (filled %v):\n%s\n%s", v, filled, b, again)
				}
				if again, _ := json.Marshal(back); !bytes.Equal(b, again) {
					t.Errorf("%T encodes differently after a round trip:\n%s\n%s", v, b, again)
				}
			}
		})
	}
}

// fill sets every exported field of v to a non-zero value.
func fill(v reflect.Value, depth int) {
	if depth > 6 || !v.CanSet() {
		return
	}
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Date(2026, 12, 4, 8, 30, 0, 0, time.UTC)))
		return
	case Quantity:
		q, err := ParseQuantity("2.5")
		if err == nil {
			v.Set(reflect.ValueOf(q))
		}
		return
	case lifeboat.Role:
		v.Set(reflect.ValueOf(lifeboat.RoleWardStaff))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		key := reflect.New(v.Type().Key()).Elem()
		fill(key, depth+1)
		val := reflect.New(v.Type().Elem()).Elem()
		fill(val, depth+1)
		m.SetMapIndex(key, val)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}
