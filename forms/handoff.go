package forms

// KindPatientHandoff carries a patient's records into the ward they are
// admitted or moved to, when the records were made in another ward's
// scope: payload PatientHandoff, subject the patient, author the device
// that hands them on ("device:<id>": it copies, it records nothing new). The ward that
// receives the patient can then read what came before (allergies,
// medicines, observations) while the ward they left keeps what it
// recorded. Any device may record one into any ward: it adds no record
// of its own, only copies of records each receiving device checks as if
// they came from their own devices (signature, chain's device, authority).
const KindPatientHandoff = "handoff.patient"

// PatientHandoff is the payload of handoff.patient.
type PatientHandoff struct {
	PatientID string `json:"patient_id"`
	Ward      string `json:"ward"` // the ward that receives the patient
	// Records are the patient's earlier records as their devices signed
	// them (lifeboat.Event.Encode), oldest first.
	Records [][]byte `json:"records"`
	// Keys opens each record's sealed payload (its own key, never its
	// ward's: see store/scopekey_box.go); empty for a clear one. The
	// handoff itself is sealed under the receiving ward's key.
	Keys [][]byte `json:"keys,omitempty"`
}
