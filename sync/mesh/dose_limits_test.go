package mesh_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// TestNode_PartitionAndHealRaisesAPRNMaximumBroken: two ward devices
// apart each give a PRN dose that is within the 24-hour maximum on its
// own; together they are over it. After the heal both devices flag the
// later dose for review (store.DoseLimitBreaches, shown on the MAR).
func TestNode_PartitionAndHealRaisesAPRNMaximumBroken(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	b := s.device(true)
	w := forms.Ward{ID: "w7", Name: "Ward 7", Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}}}
	storetest.MustAppend(t, s.founder, s.admin, store.Draft{Kind: forms.KindWardDefined, PerformedAt: storetest.T0, Payload: w})
	p := storetest.MustAppend(t, s.founder, s.admin, storetest.PatientDraft("Smith", "Richard", "1957-03-04", "9434765919", storetest.T0))
	storetest.MustAppend(t, s.founder, s.admin, storetest.AdmitDraft(p.Subject, "w7", "b1", storetest.T0))
	order := forms.MedicationOrder{ID: "ord-prn", PatientID: p.Subject, Drug: "Paracetamol 500 mg tablets", Dose: forms.MustQuantity("1"), DoseUnit: "g",
		Route: "oral", PRN: true, MaxDailyDose: forms.MustQuantity("1.5"), MaxDailyDoseUnit: "g", Start: day, Source: "entered"}
	storetest.MustAppend(t, s.founder, s.admin, store.Draft{Kind: forms.KindMedOrdered, PerformedAt: storetest.T0, Payload: order})

	na := s.start(s.founder, nil)
	nb := s.start(b, []string{na.Addr()})
	dbs := []*store.DB{s.founder, b}
	_, n0 := digest(t, s.founder)
	converged(t, 20*time.Second, n0, dbs...)
	bs := s.signIn(b)

	s.faults.partition([]string{na.Addr()}, []string{nb.Addr()})
	waitFor(t, 30*time.Second, "partition seen", func() (bool, string) {
		for _, pr := range na.Status().Peers {
			if pr.Device == nb.Device() {
				return false, "A still sees B"
			}
		}
		return true, ""
	})
	dose := forms.Administration{OrderID: order.ID, PatientID: p.Subject, Outcome: forms.OutcomeGiven, Dose: forms.MustQuantity("1")}
	storetest.MustAppend(t, s.founder, s.admin, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: day.Add(10 * time.Hour), Payload: dose})
	storetest.MustAppend(t, b, bs, store.Draft{Kind: forms.KindMedAdministered, PerformedAt: day.Add(11 * time.Hour), Payload: dose})
	for i, db := range dbs {
		if br, err := db.DoseLimitBreaches(ctx, p.Subject); err != nil || len(br) != 0 {
			t.Fatalf("breaches on node %d while apart = %+v, %v; want none (each dose within the maximum alone)", i, br, err)
		}
	}

	s.faults.heal()
	converged(t, 20*time.Second, n0+2, dbs...)
	for i, db := range dbs {
		br, err := db.DoseLimitBreaches(ctx, p.Subject)
		if err != nil || len(br) != 1 || !br[0].Record.PerformedAt.Equal(day.Add(11*time.Hour)) ||
			len(br[0].Warnings) != 1 || br[0].Warnings[0].Code != forms.WarnOverDailyMax {
			t.Errorf("breaches on node %d = %s, %v; want the 11:00 dose over the maximum", i, fmt.Sprint(br), err)
		}
		chart, err := db.MedicineChart(ctx, p.Subject, day, day.Add(12*time.Hour))
		if err != nil || len(chart.Breaches) != 1 {
			t.Errorf("MAR on node %d shows %d breaches, %v; want 1", i, len(chart.Breaches), err)
		}
	}
}
