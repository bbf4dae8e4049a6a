package folder

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dockside-edi/dockside/internal/atomicfile"
	"github.com/dockside-edi/dockside/outbox"
)

// DropTarget is a partner's outbound folder.
type DropTarget struct {
	// Path is the folder.
	Path string
	// DoneSuffix, when set, makes the Dropper write an empty done-file
	// (name + suffix) after each file.
	DoneSuffix string
}

// Dropper is the outbox sender of transport "folder".
type Dropper struct {
	target func(partner string) (DropTarget, error)
}

var _ outbox.Sender = (*Dropper)(nil)

// NewDropper returns a Dropper that finds each partner's folder with
// target.
func NewDropper(target func(partner string) (DropTarget, error)) *Dropper {
	return &Dropper{target: target}
}

// Send writes the message into the partner's folder under a temporary
// name, fsyncs and renames it, then writes the done-file.
func (d *Dropper) Send(ctx context.Context, m *outbox.Message, body []byte) (outbox.Receipt, error) {
	if m.Name == "" || strings.HasPrefix(m.Name, ".") || filepath.Base(m.Name) != m.Name || strings.ContainsAny(m.Name, "/\\\x00") {
		return outbox.Receipt{}, fmt.Errorf("%w: %q", ErrBadName, m.Name)
	}
	t, err := d.target(m.Partner)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("folder drop for %s: %w", m.Partner, err)
	}
	if t.Path == "" {
		return outbox.Receipt{}, fmt.Errorf("%w: no outbound folder for %s", ErrConfig, m.Partner)
	}
	if err := ctx.Err(); err != nil {
		return outbox.Receipt{}, err
	}
	path := filepath.Join(t.Path, m.Name)
	if err := atomicfile.WriteFile(path, body, 0o640); err != nil {
		return outbox.Receipt{}, fmt.Errorf("folder drop: %w", err)
	}
	if t.DoneSuffix != "" {
		if err := atomicfile.WriteFile(path+t.DoneSuffix, nil, 0o640); err != nil {
			return outbox.Receipt{}, fmt.Errorf("folder drop: done-file: %w", err)
		}
	}
	return outbox.Receipt{Text: path}, nil
}
