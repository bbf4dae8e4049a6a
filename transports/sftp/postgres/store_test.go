package postgres

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/dockside-edi/dockside/internal/pgstore"
	"github.com/dockside-edi/dockside/internal/pgstore/pgstoretest"
	"github.com/dockside-edi/dockside/internal/pgtest"
	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/dockside-edi/dockside/transports/sftp/sftptest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.Run(m)) }

// TestContract runs the sftp.OutFolder contract suite on PostgreSQL,
// with the default chunks (1 MiB) and with small ones (many chunks per
// file).
func TestContract(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *Options
	}{{"1MiB chunks", nil}, {"100kB chunks", &Options{ChunkSize: 100_000}}} {
		t.Run(tc.name, func(t *testing.T) {
			sftptest.Run(t, func(t *testing.T) sftp.OutFolder {
				s, err := Open(context.Background(), pgstoretest.Migrated(t, &pg, Migrations), tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	pool, err := pgstore.Open(ctx, pg.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := Open(ctx, pool, nil); !errors.Is(err, pgstore.ErrSchemaBehind) {
		t.Errorf("Open on an empty database: %v", err)
	}
}

// BenchmarkOutFolder: sftptest.Bench on PostgreSQL (1 MiB chunks).
func BenchmarkOutFolder(b *testing.B) {
	sftptest.Bench(b, func(b *testing.B) sftp.OutFolder {
		s, err := Open(context.Background(), pgstoretest.Migrated(b, &pg, Migrations), nil)
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
