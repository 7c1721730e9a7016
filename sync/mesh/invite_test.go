package mesh

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleInvite() Invite {
	iv := Invite{SiteID: "0193a1b2-0000-7000-8000-000000000001", Addrs: []string{"10.1.7.20:7947", "ward7-pc.local:7947"},
		Expires: time.Date(2026, 11, 22, 9, 10, 0, 0, time.UTC)}
	for i := range iv.Fingerprint {
		iv.Fingerprint[i] = byte(i)
	}
	for i := range iv.Token {
		iv.Token[i] = byte(0xa0 + i)
	}
	return iv
}

func TestInvite_RoundTripAndQR(t *testing.T) {
	iv := sampleInvite()
	s := iv.Encode()
	got, err := DecodeInvite(s)
	if err != nil || !reflect.DeepEqual(got, iv) {
		t.Fatalf("DecodeInvite(Encode(x)) = %+v, %v; want %+v", got, err, iv)
	}
	png, err := iv.QR(256)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("QR = %d bytes, %v; want a PNG", len(png), err)
	}
	if sc := iv.ShortCode(); len(sc) != 19 || strings.Count(sc, "-") != 3 {
		t.Errorf("ShortCode() = %q, want XXXX-XXXX-XXXX-XXXX", sc)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "invite.txt"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInvite_RefusesMalformed(t *testing.T) {
	good := sampleInvite().Encode()
	noAddr := sampleInvite()
	noAddr.Addrs = nil
	for name, s := range map[string]string{
		"empty": "", "no prefix": good[len(invitePrefix):], "not base32": invitePrefix + "!!!!",
		"truncated": good[:len(good)-8], "no addresses": noAddr.Encode(), "too long": good + strings.Repeat("A", maxInviteLen),
	} {
		if iv, err := DecodeInvite(s); err == nil {
			t.Errorf("%s: DecodeInvite = %+v, want an error", name, iv)
		}
	}
}

func TestInvites_RedeemOnceWithinTTL(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	s := NewInvites(func() time.Time { return now })
	iv, err := s.Issue("site", []string{"10.0.0.1:7947"}, [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Redeem(iv.Token, ""); err != nil {
		t.Fatalf("first Redeem = %v", err)
	}
	if err := s.Redeem(iv.Token, ""); !errors.Is(err, ErrInviteUsed) {
		t.Errorf("second Redeem = %v, want ErrInviteUsed", err)
	}
	typed, _ := s.Issue("site", []string{"10.0.0.1:7947"}, [32]byte{1})
	if err := s.Redeem([16]byte{}, strings.ToLower(typed.ShortCode())); err != nil {
		t.Errorf("Redeem(short code) = %v", err)
	}
	late, _ := s.Issue("site", []string{"10.0.0.1:7947"}, [32]byte{1})
	now = now.Add(InviteTTL + time.Second)
	if err := s.Redeem(late.Token, ""); !errors.Is(err, ErrInviteExpired) {
		t.Errorf("Redeem after 10 minutes = %v, want ErrInviteExpired", err)
	}
}

func FuzzDecodeInvite(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "invite.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(invitePrefix)
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := DecodeInvite(s)
		if err != nil {
			return
		}
		again, err := DecodeInvite(iv.Encode())
		if err != nil || !reflect.DeepEqual(again, iv) {
			t.Fatalf("DecodeInvite(Encode(%+v)) = %+v, %v", iv, again, err)
		}
	})
}

// A short code typed as people type it is read as ShortCode writes it:
// any case, spaces or dashes anywhere, 0 for O and 8 for B (not in the
// code alphabet); a 1 (I or L?) and anything else outside the alphabet
// are refused with their own kinds.
func TestNormaliseShortCode(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
		err         error
	}{
		{"ABCD-EFGH-JKLM-NPQR", "ABCD-EFGH-JKLM-NPQR", nil},
		{"abcd efgh jklm npqr", "ABCD-EFGH-JKLM-NPQR", nil},
		{"abcdefghjklmnpqr", "ABCD-EFGH-JKLM-NPQR", nil},
		{" ABCD-EFGH-JKLM-NPQR ", "ABCD-EFGH-JKLM-NPQR", nil},
		{"0PEN-8OOK-2345-67AZ", "OPEN-BOOK-2345-67AZ", nil},
		{"ABCD-EFGH-1JKL-NPQR", "", ErrShortCodeOne},
		{"ABCD-EFGH-9JKL-NPQR", "", ErrShortCodeForm},
		{"ABCD-EFGH-JKLM-NPQ", "", ErrShortCodeForm},
		{"ABCD-EFGH-JKLM-NPQRS", "", ErrShortCodeForm},
		{"ABCD-EFGH-JKLM-NPQ!", "", ErrShortCodeForm},
		{"", "", ErrShortCodeForm},
	} {
		got, err := NormaliseShortCode(tc.typed)
		if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Errorf("NormaliseShortCode(%q) = %q, %v; want %q, %v", tc.typed, got, err, tc.want, tc.err)
		}
	}
	iv := sampleInvite()
	if got, err := NormaliseShortCode(strings.ToLower(strings.ReplaceAll(iv.ShortCode(), "-", " "))); err != nil || got != iv.ShortCode() {
		t.Errorf("NormaliseShortCode(a real code typed loosely) = %q, %v; want %q", got, err, iv.ShortCode())
	}
}

// A fingerprint typed with O for 0 or I/L for 1, in any case and with
// spaces, reads as FingerprintPrefix writes it.
func TestNormaliseFingerprint(t *testing.T) {
	for _, tc := range []struct{ typed, want string }{
		{"3f2a9c0d11e4b7a2", "3f2a9c0d11e4b7a2"},
		{"3F2A 9COD IlE4 B7A2", "3f2a9c0d11e4b7a2"},
		{"3f2a-9c0d-11e4-b7a2", "3f2a9c0d11e4b7a2"},
		{"3f2a9c0d11e4b7a", ""},
		{"3f2a9c0d11e4b7a2f", ""},
		{"3f2a9c0d11e4b7ag", ""},
	} {
		got, err := NormaliseFingerprint(tc.typed)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrFingerprint) {
			t.Errorf("NormaliseFingerprint(%q) = %q, %v; want %q", tc.typed, got, err, tc.want)
		}
	}
}

// Whatever is typed, normalising never panics, and what it accepts is in
// the code alphabet, 4 groups of 4, and normalises to itself.
func FuzzNormaliseShortCode(f *testing.F) {
	for _, s := range []string{"ABCD-EFGH-JKLM-NPQR", "0PEN 8OOK 2345 67AZ", "1111", "", "ééé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		if fp, err := NormaliseFingerprint(typed); err == nil && (len(fp) != 16 || strings.Trim(fp, "0123456789abcdef") != "") {
			t.Fatalf("NormaliseFingerprint(%q) = %q, not 16 hex digits", typed, fp)
		}
		got, err := NormaliseShortCode(typed)
		if err != nil {
			return
		}
		if len(got) != 19 || strings.Trim(strings.ReplaceAll(got, "-", ""), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("NormaliseShortCode(%q) = %q, not a short code", typed, got)
		}
		if again, err := NormaliseShortCode(got); err != nil || again != got {
			t.Fatalf("NormaliseShortCode(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
