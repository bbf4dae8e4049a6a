// Package passhash holds the bounds on the work a password hash from a
// profile may ask of a login, in one place: partners refuses a profile
// whose hash is over them, and the SFTP server refuses such a hash at
// login, with the same figures.
package passhash

// Bounds on the parameters of a password hash read from a profile, so
// that a typo cannot make every login allocate gigabytes or take hours.
const (
	// MaxArgonMemory bounds argon2id's memory, in KiB (1 GiB).
	MaxArgonMemory = 1 << 20
	// MaxArgonTime bounds argon2id's passes.
	MaxArgonTime = 64
	// MaxArgonThreads bounds argon2id's parallelism.
	MaxArgonThreads = 64
	// MaxBcryptCost bounds bcrypt's cost: 14 takes about a second a
	// login; each step doubles it (31 would take days).
	MaxBcryptCost = 14
)
