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
