package forms

// Event kinds for patients and their stay on the ward.
const (
	KindPatientRegistered  = "patient.registered"  // payload Patient
	KindPatientAdmitted    = "patient.admitted"    // payload Admission
	KindPatientTransferred = "patient.transferred" // payload Transfer
	KindPatientDischarged  = "patient.discharged"  // payload Discharge
)

// Patient is the payload of patient.registered: the four core identifiers
// (surname, first name, date of birth, NHS number) or, when the NHS number is
// not known during downtime, a temporary ID DT-<device>-<n>. The event's
// subject is ID. A later patient.registered event with the same ID and
// Corrects set amends the details.
type Patient struct {
	ID        string `json:"id"`                   // stable internal ID (UUID), also the event subject
	NHSNumber string `json:"nhs_number,omitempty"` // 10 digits, no spaces; empty if unknown
	TempID    string `json:"temp_id,omitempty"`    // DT-<device>-<n> when NHSNumber is empty
	Surname   string `json:"surname"`
	Given     string `json:"given"`
	BirthDate string `json:"birth_date"` // YYYY-MM-DD
	Sex       string `json:"sex,omitempty"`
}

// Admission is the payload of patient.admitted: the patient arrives on a
// ward, optionally into a bed.
type Admission struct {
	PatientID string `json:"patient_id"`
	Ward      string `json:"ward"`
	Bed       string `json:"bed,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// IsolationReason is why the patient was admitted to a bed held for
	// isolation, as Transfer.Reason is for a move.
	IsolationReason string `json:"isolation_reason,omitempty"`
}

// Transfer is the payload of patient.transferred: a move to another ward or bed.
type Transfer struct {
	PatientID string `json:"patient_id"`
	FromWard  string `json:"from_ward,omitempty"`
	FromBed   string `json:"from_bed,omitempty"`
	Ward      string `json:"ward"`
	Bed       string `json:"bed,omitempty"`
	// Reason is why the patient was moved into a bed held for isolation
	// (infection control): such a bed takes no general admission, so its
	// use is asked about and recorded, never taken as a free bed.
	Reason string `json:"reason,omitempty"`
}

// Discharge is the payload of patient.discharged.
type Discharge struct {
	PatientID   string `json:"patient_id"`
	Destination string `json:"destination,omitempty"`
}

// KindPatientMerged records that two records are one person: every event
// of the merged record is read as the survivor's from then on. Nothing is
// deleted and both IDs stay findable; a merge entered in error splits the
// records again. Payload PatientMerge; the event's subject is SurvivorID.
const KindPatientMerged = "patient.merged"

// PatientMerge is the payload of patient.merged.
type PatientMerge struct {
	SurvivorID string `json:"survivor_id"`          // the record that stands
	MergedID   string `json:"merged_id"`            // the record that now reads as the survivor's
	NHSNumber  string `json:"nhs_number,omitempty"` // the NHS number both records are (10 digits)
	TempID     string `json:"temp_id,omitempty"`    // the merged record's temporary ID, kept findable
	Reason     string `json:"reason"`               // why they are one person, in plain words
}
