package forms

import (
	"fmt"
	"strconv"
	"strings"

	"lifeboat"
)

// TempIDPrefix starts every temporary downtime patient ID.
const TempIDPrefix = "DT-"

// maxTempIDDevice bounds the device part of a temporary ID. Device IDs are 8
// base32 characters (store.DeviceID); a little slack allows site test IDs.
const maxTempIDDevice = 16

// FormatTempID writes the temporary downtime ID that device allocates as its
// n'th: "DT-<device>-<n>", e.g. "DT-K3XQ7ZPA-12". Each device numbers from
// its own range, so two devices never issue the same ID even while apart.
// device should be upper-case letters and digits (no dashes) and n at
// least 1; ParseTempID refuses anything else.
func FormatTempID(device string, n uint64) string {
	return TempIDPrefix + device + "-" + strconv.FormatUint(n, 10)
}

// ParseTempID reads a temporary downtime ID back into its device and number.
// It accepts lower case and surrounding spaces (people copy these from
// wristbands and paper) and returns the device upper-cased. Errors wrap
// lifeboat.ErrInvalid.
func ParseTempID(s string) (device string, n uint64, err error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	bad := func(why string) (string, uint64, error) {
		return "", 0, fmt.Errorf("temporary ID must look like DT-<device>-<number>: %s: %w", why, lifeboat.ErrInvalid)
	}
	rest, ok := strings.CutPrefix(s, TempIDPrefix)
	if !ok {
		return bad("it does not start with DT-")
	}
	device, num, ok := strings.Cut(rest, "-")
	if !ok {
		return bad("the number is missing")
	}
	if device == "" || len(device) > maxTempIDDevice {
		return bad("the device part must be 1 to 16 letters or digits")
	}
	for i := 0; i < len(device); i++ {
		c := device[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return bad("the device part must be letters or digits")
		}
	}
	if !allDigits(num) || num[0] == '0' {
		return bad("the number must be a whole number from 1, with no leading zeros")
	}
	n, err = strconv.ParseUint(num, 10, 64)
	if err != nil {
		return bad("the number is too large")
	}
	return device, n, nil
}

// IsTempID reports whether s parses as a temporary downtime ID.
func IsTempID(s string) bool {
	_, _, err := ParseTempID(s)
	return err == nil
}
