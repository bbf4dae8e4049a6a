package sftp

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dockside-edi/dockside/outbox"
)

// Sender returns the outbox sender of transport "sftp" (pickup): it
// puts a message into the partner's out/ (Config.Out: on disk
// Root/<partner>/out/<name>, written as a temporary file, fsynced and
// renamed) and reports the delivery pending until the partner downloads
// it (see Pickups).
func (s *Server) Sender() outbox.Sender { return pickupSender{s} }

type pickupSender struct{ s *Server }

var _ outbox.Sender = pickupSender{}

// Send puts the message into the partner's out/.
func (p pickupSender) Send(ctx context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
	if err := CheckOutName(m.Partner, m.Name); err != nil {
		return outbox.Receipt{}, err
	}
	if err := p.s.out.Put(ctx, m.Partner, m.Name, body); err != nil {
		return outbox.Receipt{}, fmt.Errorf("sftp: putting %s into the out/ of %s: %w", m.Name, m.Partner, err)
	}
	p.s.log.Info("sftp pickup ready", "partner", m.Partner, "file", "/out/"+m.Name, "size", len(body), "outbox_id", m.ID)
	return outbox.Receipt{Text: "/out/" + m.Name, Pending: true}, nil
}

// OutboxPickups returns Pickups that confirm the outbox message of a
// picked-up file (found by partner and name); failures are logged to log
// (nil: slog.Default()).
func OutboxPickups(s outbox.Storage, log *slog.Logger) Pickups {
	if log == nil {
		log = slog.Default()
	}
	return PickupsFunc(func(partner, name string) {
		if id, err := s.ConfirmByName(partner, name, "picked up over sftp"); err != nil {
			log.Error("sftp: confirming a pickup", "partner", partner, "file", name, "outbox_id", id, "err", err)
		}
	})
}
