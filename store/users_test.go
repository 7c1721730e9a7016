package store_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

func TestSignIn_LockoutAfterFiveWrongPINs(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	db, admin := storetest.MustInit(t, testOpts(clock))
	nurse, err := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if _, err := db.SignIn(ctx, nurse.ID, "0000", ""); !errors.Is(err, store.ErrWrongSecret) {
			t.Fatalf("wrong PIN try %d = %v, want ErrWrongSecret", i, err)
		}
	}
	_, err = db.SignIn(ctx, nurse.ID, "0000", "")
	var lo *store.LockedOutError
	if !errors.As(err, &lo) || !lo.Until.Equal(storetest.T0.Add(5*time.Minute)) {
		t.Fatalf("fifth wrong PIN = %v, want locked out until +5m", err)
	}
	if _, err := db.SignIn(ctx, nurse.ID, "4826", ""); !errors.Is(err, store.ErrLockedOut) {
		t.Errorf("right PIN while locked out = %v, want ErrLockedOut", err)
	}
	clock.Advance(5*time.Minute + time.Second)
	s, err := db.SignIn(ctx, nurse.ID, "4826", "")
	if err != nil || s.User.Name != "Nia Nurse" || s.User.Role != lifeboat.RoleWardStaff {
		t.Fatalf("right PIN after lockout = %+v, %v", s, err)
	}
	log, _ := db.AuditLog(ctx, 0, 20)
	failed := 0
	for _, e := range log {
		if e.Action == "user.sign_in_failed" && e.Actor == nurse.ID {
			failed++
		}
	}
	if failed != 5 {
		t.Errorf("audited failed sign-ins = %d, want 5", failed)
	}
}

func TestSignIn_BreakGlassNeedsReasonAndIsAudited(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(storetest.T0)
	db, _ := storetest.MustInit(t, testOpts(clock))
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var bg store.User
	for _, u := range users {
		if u.Role == lifeboat.RoleBreakGlass {
			bg = u
		}
	}
	if bg.ID == "" {
		t.Fatalf("no break-glass account among %+v", users)
	}
	if _, err := db.SignIn(ctx, bg.ID, "7391", ""); !errors.Is(err, lifeboat.ErrInvalid) {
		t.Errorf("break-glass without reason = %v, want ErrInvalid", err)
	}
	s, err := db.SignIn(ctx, bg.ID, "7391", "all nurses locked out, patient deteriorating")
	if err != nil {
		t.Fatal(err)
	}
	p := storetest.MustAppend(t, db, s, storetest.PatientDraft("Glass", "Broken", "1999-09-09", "", storetest.T0))
	log, _ := db.AuditLog(ctx, 0, 5)
	if log[0].Action != "break_glass.recorded" || log[0].Subject != p.Subject {
		t.Errorf("newest audit entry = %+v, want the break-glass record of %s", log[0], p.Subject)
	}
	if log[1].Action != "user.break_glass_sign_in" || log[1].Detail == "" {
		t.Errorf("audit = %+v, want the break-glass sign-in with its reason", log[1])
	}
}

func TestAdminActions_NeedITAdmin(t *testing.T) {
	ctx := t.Context()
	db, admin := storetest.MustInit(t, store.Options{})
	nurse, _ := db.NewUser(ctx, admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826")
	s, err := db.SignIn(ctx, nurse.ID, "4826", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewUser(ctx, s, "Eve", lifeboat.RoleITAdmin, "2468"); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("nurse adding a user = %v, want ErrPermission", err)
	}
	if err := db.ChangePassphrase(ctx, s, "some other passphrase", store.TestKDF); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("nurse changing passphrase = %v, want ErrPermission", err)
	}
	if err := db.SetUserActive(ctx, admin, nurse.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SignIn(ctx, nurse.ID, "4826", ""); !errors.Is(err, lifeboat.ErrPermission) {
		t.Errorf("disabled user signing in = %v, want ErrPermission", err)
	}
}

// TestChangePIN_OldPINStopsSigningIn: after a PIN change and a restart,
// the old PIN is refused and the new one signs in, inside the store
// unlocked with the passphrase (a PIN opens nothing by itself).
func TestChangePIN_OldPINStopsSigningIn(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ward.lifeboat")
	db, admin := storetest.MustInitAt(t, path, store.Options{})
	if err := db.ChangePIN(ctx, admin, "3691"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SignIn(ctx, admin.User.ID, storetest.AdminPIN, ""); !errors.Is(err, store.ErrWrongSecret) {
		t.Errorf("SignIn(old PIN) = %v, want ErrWrongSecret", err)
	}
	s, err := db.SignIn(ctx, admin.User.ID, "3691", "")
	if err != nil || s.User.ID != admin.User.ID {
		t.Fatalf("SignIn(new PIN) = %+v, %v", s, err)
	}
}

func TestVerifyAudit_NamesFirstBrokenLink(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string
		wantSeq int64
	}{
		{"altered action", "UPDATE audit SET action = 'nothing.happened' WHERE seq = 4", 4},
		{"removed entry", "DELETE FROM audit WHERE seq = 6", 6},
		{"removed tail", "DELETE FROM audit WHERE seq >= 7", 7},
		{"swapped details", "UPDATE audit SET sealed = (SELECT sealed FROM audit WHERE seq = 5) WHERE seq = 6", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "ward.lifeboat")
			db, admin := storetest.MustInitAt(t, path, store.Options{})
			for range 5 {
				if err := db.RecordView(ctx, admin, "patient-1"); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.VerifyAudit(ctx); err != nil {
				t.Fatalf("VerifyAudit on an intact log = %v", err)
			}
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			var be *store.AuditBrokenError
			if err := db.VerifyAudit(ctx); !errors.As(err, &be) || be.Seq != tt.wantSeq {
				t.Errorf("VerifyAudit after %s = %v, want broken at %d", tt.name, err, tt.wantSeq)
			}
		})
	}
}
