package sftp_test

import (
	"testing"

	"github.com/dockside-edi/dockside/transports/sftp"
	"github.com/dockside-edi/dockside/transports/sftp/sftptest"
)

// TestDiskOutContract runs the OutFolder contract suite on the jails on
// disk.
func TestDiskOutContract(t *testing.T) {
	sftptest.Run(t, func(t *testing.T) sftp.OutFolder { return sftp.NewDiskOut(t.TempDir()) })
}

// BenchmarkDiskOut: sftptest.Bench on the jails on disk.
func BenchmarkDiskOut(b *testing.B) {
	sftptest.Bench(b, func(b *testing.B) sftp.OutFolder { return sftp.NewDiskOut(b.TempDir()) })
}
