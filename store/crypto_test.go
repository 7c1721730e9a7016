package store

import "testing"

// Every sealed row is bound to ad's bytes: they must never change.
func TestAD(t *testing.T) {
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{nil, ""},
		{[]string{""}, "0:|"},
		{[]string{"ev", "0190a1b2-id", "DEV7", "12", "obs.recorded"}, "2:ev|11:0190a1b2-id|4:DEV7|2:12|12:obs.recorded|"},
		{[]string{"a|b", "1:c"}, "3:a|b|3:1:c|"},
	} {
		if got := string(ad(c.parts...)); got != c.want {
			t.Errorf("ad(%q) = %q, want %q", c.parts, got, c.want)
		}
	}
	if got := string(eventAD("id", "dev", 18446744073709551615, "k")); got != "2:ev|2:id|3:dev|20:18446744073709551615|1:k|" {
		t.Errorf("eventAD = %q", got)
	}
}
