package webhooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/ledger"
)

// Filter chooses the events a subscriber gets: an event passes when it
// matches every list that is set (an empty list matches all).
type Filter struct {
	// Kinds are ledger movement kinds (receipt, shipment, allocate,
	// release, in_transit, adjust, damage, quarantine, snapshot).
	Kinds []string
	// Locations are our location codes.
	Locations []string
	// SKUs are SKUs, exactly, or prefixes written with a trailing *.
	SKUs []string
	// Channels are channel partners: the event's location must be one
	// their advice counts (a channel counting every location passes
	// every event).
	Channels []string
}

// ChannelLocations returns the locations a channel's advice counts
// (empty: all of them), and false when there is no such channel with
// advice.
type ChannelLocations func(channel string) (locations []string, ok bool)

// check reports unknown kinds and empty entries.
func (f Filter) check() error {
	for _, k := range f.Kinds {
		if _, err := ledger.ParseKind(k); err != nil {
			return fmt.Errorf("%w: kinds: %q is not a ledger movement kind", ErrConfig, k)
		}
	}
	for name, list := range map[string][]string{"locations": f.Locations, "skus": f.SKUs, "channels": f.Channels} {
		for _, v := range list {
			if strings.TrimSpace(v) == "" || v == "*" {
				return fmt.Errorf("%w: %s: empty entry", ErrConfig, name)
			}
		}
	}
	return nil
}

// compile returns the filter's function, with the channels' locations as
// they are now (nil: every event passes). A channel that no longer
// exists passes no event.
func (f Filter) compile(channels ChannelLocations) (func(*stream.Event) bool, []string) {
	var warnings []string
	var channelLocs []string
	allChannelLocs := false
	for _, c := range f.Channels {
		var l []string
		ok := false
		if channels != nil {
			l, ok = channels(c)
		}
		switch {
		case !ok:
			warnings = append(warnings, fmt.Sprintf("channel %q has no advice: it passes no event", c))
		case len(l) == 0:
			allChannelLocs = true
		default:
			channelLocs = append(channelLocs, l...)
		}
	}
	if len(f.Kinds) == 0 && len(f.Locations) == 0 && len(f.SKUs) == 0 && len(f.Channels) == 0 {
		return nil, warnings
	}
	var exact []string
	var prefixes []string
	for _, s := range f.SKUs {
		if p, ok := strings.CutSuffix(s, "*"); ok {
			prefixes = append(prefixes, p)
		} else {
			exact = append(exact, s)
		}
	}
	return func(e *stream.Event) bool {
		d := &e.Data
		if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, d.Kind) {
			return false
		}
		if len(f.Locations) > 0 && !slices.Contains(f.Locations, d.Location) {
			return false
		}
		if len(f.SKUs) > 0 && !slices.Contains(exact, d.SKU) &&
			!slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(d.SKU, p) }) {
			return false
		}
		if len(f.Channels) > 0 && !allChannelLocs && !slices.Contains(channelLocs, d.Location) {
			return false
		}
		return true
	}, warnings
}
