// Package folder is Dockside's watched-folder transport: it takes files
// partners (or their mounts) drop into local or network folders and hands
// them to the inbox, and it drops outbound files into partners' folders.
//
// # Taking files
//
// A [Watcher] watches each configured folder with fsnotify and also
// rescans it: at start, every Config.Rescan, and after the kernel's event
// queue overflowed. Network file systems (NFS, SMB, FUSE) give no events
// for changes made elsewhere, so there the rescan is what finds files.
// Events are debounced per path.
//
// A file is taken only when it is complete, as its folder says: either it
// stayed the same (size and modification time) for MinAge, or a done-file
// (the file's name plus DoneSuffix) exists, which is then removed with it.
// Names starting with a dot and temporary names (*.part, *.filepart,
// *.tmp) are never taken.
//
// The state of a file is where it is, so that a restart neither loses nor
// repeats one:
//
//	<folder>/name                          waiting (not yet complete)
//	<folder>/processing/<stamp>-name       taken, being handed to the inbox
//	<folder>/archive/<stamp>-name          stored in the inbox
//	<folder>/failed/<stamp>-name           processing failed (see Settle),
//	                                       or too large for the inbox
//
// The stamp (taking time, UTC, to the nanosecond) keeps names unique when
// a partner reuses a name. A file is moved to processing/ first, then
// handed to the inbox, then moved to archive/; the inbox.Arrival's Meta
// records the archive path (MetaPath), which [Watcher.Settle] uses to move
// the file to failed/ when the gateway could not process it. At start,
// files left in processing/ are handed to the inbox again (the inbox
// records a duplicate when it had already stored them) and archived. When
// the inbox fails, the file stays in processing/ and is tried again at
// the next rescan.
//
// # Dropping files
//
// A [Dropper] is the outbox sender of transport "folder": it writes each
// message into the partner's outbound folder under a temporary name (a
// dot file), fsyncs it and renames it, then writes the done-file if the
// partner wants one.
package folder
