package forms

import (
	"errors"
	"strings"
	"testing"

	"lifeboat"
)

func TestParseNHSNumber_Valid(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"9434765919", "9434765919"},   // NHS Digital's worked example
		{"943 476 5919", "9434765919"}, // 3-3-4 with spaces
		{"943-476-5919", "9434765919"}, // 3-3-4 with dashes
		{" 943 476 5919 ", "9434765919"},
		{"9990000018", "9990000018"}, // test range: 9*10+9*9+9*8+1*2=245, 245%11=3, 11-3=8
		{"9990000026", "9990000026"},
		{"9999999999", "9999999999"}, // sum 486, 486%11=2, 9
		{"4010232137", "4010232137"},
		{"4857773457", "4857773457"},
		{"1111111111", "1111111111"}, // sum 54, 54%11=10, 11-10=1
		{"0000000000", "0000000000"}, // remainder 0: check 11 becomes 0
	}
	for _, tt := range tests {
		got, err := ParseNHSNumber(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseNHSNumber(%q) = %q, %v, want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseNHSNumber_Invalid(t *testing.T) {
	tests := []struct {
		name, in, msg string
	}{
		{"wrong check digit", "9434765918", "NHS number 943 476 5918 fails its check digit: please re-check it"},
		{"wrong check digit spaced", "943 476 5910", "943 476 5910 fails its check digit"},
		{"transposed digits", "9434765991", "fails its check digit"},
		{"remainder 10 prefix 999000000", "9990000000", "fails its check digit"},
		{"remainder 10 prefix 999000001", "9990000140", "fails its check digit"},
		{"remainder 10 prefix 123456789", "1234567890", "fails its check digit"},
		{"remainder 10 any last digit", "1234567891", "fails its check digit"},
		{"empty", "", "NHS number must have 10 digits, not 0"},
		{"nine digits", "943476591", "NHS number must have 10 digits, not 9"},
		{"eleven digits", "94347659190", "NHS number must have 10 digits, not 11"},
		{"only separators", " - - ", "must have 10 digits"},
		{"letter", "943476591O", "can only hold digits, spaces and dashes"},
		{"letters", "abc def ghij", "can only hold digits, spaces and dashes"},
		{"dot", "943.476.5919", "can only hold digits, spaces and dashes"},
		{"plus", "+9434765919", "can only hold digits, spaces and dashes"},
		{"arabic-indic digits", "٩٤٣٤٧٦٥٩١٩", "can only hold digits, spaces and dashes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNHSNumber(tt.in)
			if err == nil || got != "" {
				t.Fatalf("ParseNHSNumber(%q) = %q, %v, want error containing %q", tt.in, got, err, tt.msg)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParseNHSNumber(%q) error = %q, want it to contain %q", tt.in, err, tt.msg)
			}
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("ParseNHSNumber(%q) error = %v, want it to wrap lifeboat.ErrInvalid", tt.in, err)
			}
		})
	}
}

func TestNHSCheckDigit_Cases(t *testing.T) {
	tests := []struct {
		in    string
		digit int
		ok    bool
	}{
		{"943476591", 9, true},
		{"999000001", 8, true},
		{"000000000", 0, true},
		{"999000000", 0, false}, // remainder 1: check would be 10
		{"123456789", 0, false},
		{"94347659", 0, false},
		{"94347659x", 0, false},
	}
	for _, tt := range tests {
		d, ok := NHSCheckDigit(tt.in)
		if d != tt.digit || ok != tt.ok {
			t.Errorf("NHSCheckDigit(%q) = %d, %v, want %d, %v", tt.in, d, ok, tt.digit, tt.ok)
		}
	}
}

func TestFormatNHSNumber_Cases(t *testing.T) {
	tests := []struct{ in, want string }{
		{"9434765919", "943 476 5919"},
		{"9990000018", "999 000 0018"},
		{"", ""},
		{"943476591", "943476591"},
		{"943 476 5919", "943 476 5919"},
		{"94347659x9", "94347659x9"},
	}
	for _, tt := range tests {
		if got := FormatNHSNumber(tt.in); got != tt.want {
			t.Errorf("FormatNHSNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsTestNHSNumber_Cases(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9990000018", true},
		{"9990000000", true}, // the range is by digits, not by validity
		{"9999999999", true},
		{"9989999999", false},
		{"9434765919", false},
		{"999000001", false},
		{"999 000 0018", false}, // digits only: parse first
	}
	for _, tt := range tests {
		if got := IsTestNHSNumber(tt.in); got != tt.want {
			t.Errorf("IsTestNHSNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
