package paper

import (
	"errors"
	"testing"
	"time"
)

func TestLabel_PayloadRoundTrip(t *testing.T) {
	l := Label{Site: "site-1", Subject: "0192f3a4-1b2c-7d8e-9f00-112233445566", Doc: DocObs, PrintedAt: time.Date(2026, 11, 20, 10, 30, 5, 0, time.UTC)}
	p := l.Payload()
	if want := "LB1|site-1|0192f3a4-1b2c-7d8e-9f00-112233445566|obs|20261120T103005Z"; p != want {
		t.Fatalf("Payload() = %q, want %q", p, want)
	}
	got, err := ParsePayload(p)
	if err != nil || got != l {
		t.Fatalf("ParsePayload(%q) = %+v, %v, want %+v", p, got, err, l)
	}
}

func TestParsePayload_Refuses(t *testing.T) {
	for _, s := range []string{"", "hello", "LB2|s|p|obs|20261120T103005Z", "LB1|s||obs|20261120T103005Z", "LB1|s|p|obs|yesterday", "LB1|s|p|obs|x|y"} {
		if _, err := ParsePayload(s); !errors.Is(err, ErrBadPayload) {
			t.Errorf("ParsePayload(%q) = %v, want ErrBadPayload", s, err)
		}
	}
}

func FuzzParsePayload(f *testing.F) {
	f.Add("LB1|site-1|p|obs|20261120T103005Z")
	f.Add("LB1|||ward|20261120T103005Z")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParsePayload(s)
		if err != nil {
			return
		}
		back, err := ParsePayload(l.Payload())
		if err != nil || back != l {
			t.Fatalf("ParsePayload(Payload(%+v)) = %+v, %v", l, back, err)
		}
	})
}
