package clocale

import "testing"

func TestFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string // what was set
	}{
		{"unset", nil, nil},
		{"LANG=C", map[string]string{"LANG": "C"}, nil},
		{"LANG=C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, map[string]string{"LANG": "C"}},
		{"LANG=C.utf8", map[string]string{"LANG": "C.utf8"}, map[string]string{"LANG": "C"}},
		{"LANG=POSIX.UTF-8", map[string]string{"LANG": "POSIX.UTF-8"}, map[string]string{"LANG": "POSIX"}},
		{"LANG=C@euro", map[string]string{"LANG": "C@euro"}, map[string]string{"LANG": "C"}},
		{"LANG=en_GB.UTF-8", map[string]string{"LANG": "en_GB.UTF-8"}, nil},
		{"LC_ALL wins", map[string]string{"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}, map[string]string{"LC_ALL": "C"}},
		{"LC_ALL en, LANG C", map[string]string{"LC_ALL": "en_GB.UTF-8", "LANG": "C.UTF-8"}, nil},
		{"LC_MESSAGES before LANG", map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "en_GB.UTF-8"}, map[string]string{"LC_MESSAGES": "C"}},
		{"Cymraeg is not C", map[string]string{"LANG": "cy_GB.UTF-8"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]string{}
			Fix(func(k string) string { return tc.env[k] }, func(k, v string) error { set[k] = v; return nil })
			if len(set) != len(tc.want) {
				t.Fatalf("set %v, want %v", set, tc.want)
			}
			for k, v := range tc.want {
				if set[k] != v {
					t.Errorf("set %v, want %v", set, tc.want)
				}
			}
		})
	}
}
