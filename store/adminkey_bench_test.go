package store

import "testing"

// BenchmarkAdminKeyGuess is what one guess at an IT admin's passphrase
// costs a thief holding the sealed key (it travels in the replicated log):
// one Argon2id derivation at DefaultAdminKDF and an AEAD open. It is also
// what an admin waits once a session for UnlockAdmin.
func BenchmarkAdminKeyGuess(b *testing.B) {
	k, _ := newSealedKey("admin", "the right admin passphrase", DefaultAdminKDF)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := openSealedKey("admin", "a wrong guess at it", k); err != ErrWrongSecret {
			b.Fatalf("guess = %v, want ErrWrongSecret", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/guess")
	b.ReportMetric(float64(DefaultAdminKDF.MemoryKiB)/1024, "MiB/guess")
}
