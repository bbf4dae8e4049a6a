package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dockside-edi/dockside/edi/flat"
	"github.com/dockside-edi/dockside/events/stream"
	"github.com/dockside-edi/dockside/ledger"
	"github.com/dockside-edi/dockside/mapping"
	"go.yaml.in/yaml/v3"
)

// Config is the gateway's configuration: one YAML file, every setting
// overridable by an environment variable named DOCKSIDE_ and the setting's
// path in upper case with underscores (http.listen → DOCKSIDE_HTTP_LISTEN).
type Config struct {
	// Data is the data folder (ledger, inbox, outbox, keys). Default
	// ./dockside-data.
	Data string `yaml:"data"`
	// Storage is where the gateway keeps its state. Empty (the default):
	// bbolt files in the data folder. A postgres:// URL
	// (postgres://USER:PASSWORD@HOST:5432/DB?sslmode=verify-full): a
	// PostgreSQL 15 or later database that several nodes share; `dockside
	// migrate` creates and upgrades its schema. Every store is then kept
	// there, and several serve nodes on one database act as one gateway
	// (docs/deploy.md); the data folder keeps the node's keys. A node
	// opens up to 2 × workers + 8 connections, unless the URL sets
	// pool_max_conns.
	Storage string `yaml:"storage"`
	// ClaimLease is, on postgres storage, how long a node's claim on an
	// inbox message (being processed) or an outbox message (being sent)
	// holds without renewal; the node renews its claims every third of
	// it. After a node dies, the messages it was at wait this long
	// before another node, or the node restarted, takes them up. Default
	// 1m; at least 1s. Unused on bbolt, where a restart takes them up at
	// once.
	ClaimLease time.Duration `yaml:"claim_lease"`
	// Partners is the folder of partner profiles, relative to the
	// configuration file. Empty: the demo partners, written on first start
	// to <data>/demo-partners and loaded from there (edit them there).
	Partners string `yaml:"partners"`
	// Identity is who we are in the envelopes we send.
	Identity IdentityConfig `yaml:"identity"`
	// Workers is the number of pipeline workers (default 4).
	Workers int `yaml:"workers"`
	// MaxFileSize bounds one received file, in bytes (default 256 MiB).
	MaxFileSize int64 `yaml:"max_file_size"`
	// Retention is how long the bytes of processed messages are kept
	// (default 90 days).
	Retention time.Duration `yaml:"retention"`
	// HTTP is the API, dashboard and AS2 listener.
	HTTP HTTPConfig `yaml:"http"`
	// SFTP is the SFTP server.
	SFTP SFTPConfig `yaml:"sftp"`
	// Folders are watched-folder settings.
	Folders FolderConfig `yaml:"folders"`
	// Limits bound the work one received file can cause; a file past one
	// fails with an error that names the setting, its bytes kept. Fixed
	// limits apply besides these and max_file_size: X12 input that cannot
	// begin an interchange is refused at its first bytes (a NUL, or over
	// 64 KiB of white space, before the first ISA), and over 64 KiB of
	// white space or NUL padding in a row, a segment over 1 MiB and a
	// transaction set over 64 MiB are errors with their place.
	Limits LimitsConfig `yaml:"limits"`
	// Outbox tunes the retries of outbound messages.
	Outbox OutboxConfig `yaml:"outbox"`
	// Flat bounds what one CSV, fixed-width or Excel file may cost, so
	// that memory and time follow these limits, not the input. A file
	// past one fails whole, nothing posted, its bytes kept, with an error
	// that names the setting and its value ("limit max_rows = 100000",
	// "xl/sharedStrings.xml: ... (limit max_shared_strings = 1000000)").
	// Fixed bounds apply besides: Excel's 1,048,576 rows and 16,384
	// cells a row, a field a movement takes of at most 1,024 bytes.
	Flat FlatConfig `yaml:"flat"`
	// Events configures the change stream out: ledger postings as events
	// to NATS JetStream (and other subscribers).
	Events EventsConfig `yaml:"events"`
	// NATS is the NATS JetStream server partners' inventory events are
	// read from (profiles' events.nats).
	NATS NATSConfig `yaml:"nats"`
	// Webhooks are the change stream's webhook subscribers.
	Webhooks WebhooksConfig `yaml:"webhooks"`

	// File is the configuration file read, if any.
	File string `yaml:"-"`
}

// NATSConfig is the connection to NATS JetStream for inventory events.
type NATSConfig struct {
	// URL is the server (nats://host:4222); empty: no events are read
	// from NATS (the default).
	URL string `yaml:"url"`
	// Batch is how many messages one fetch takes, posted to the ledger
	// together (default 1000).
	Batch int `yaml:"batch"`
	// AckWait is how long the server waits for the acknowledgement of a
	// message it delivered before delivering it again (default 30 s,
	// at least 1 s). While a fetch is being processed the gateway tells
	// the server it is still working on it every third of AckWait, so a
	// slow commit is not redelivered; AckWait bounds how long the
	// messages a killed gateway had fetched (up to five fetches, which
	// hold back new ones meanwhile) wait before the restarted one gets
	// them again.
	AckWait time.Duration `yaml:"ack_wait"`
}

// IdentityConfig is our own interchange identity.
type IdentityConfig struct {
	// ISAQualifier is our interchange id qualifier (ISA05 of what we
	// send, ISA07 of what partners send us); default ZZ.
	ISAQualifier string `yaml:"isa_qualifier"`
	// ISAID is our interchange id (ISA06 / ISA08); default DOCKSIDE.
	ISAID string `yaml:"isa_id"`
	// GSID is our application code (GS02 / GS03); default: the ISA id.
	GSID string `yaml:"gs_id"`
	// AS2ID is our AS2 name (AS2-From of what we send, AS2-To of what
	// partners send us); default DOCKSIDE.
	AS2ID string `yaml:"as2_id"`
}

// HTTPConfig configures the HTTP listener.
type HTTPConfig struct {
	// Listen is host:port; empty disables the listener. Default
	// 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// ReadTimeout and WriteTimeout bound one request (defaults 60 s).
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// MaxBody bounds a request body in bytes (default 64 MiB, for AS2).
	MaxBody int64 `yaml:"max_body"`
	// PublicURL is how partners reach this listener (for asynchronous
	// AS2 MDNs); default http://<listen>.
	PublicURL string `yaml:"public_url"`
	// AS2RateLimit is the sustained requests per second /as2 takes from
	// one client address, checked before anything of the request is
	// read (a proxy in front makes every partner one address). Default
	// 20 requests/s; a negative value turns the limit off.
	AS2RateLimit int `yaml:"as2_rate_limit"`
	// AS2RateBurst is the requests /as2 takes at once from one client
	// address above AS2RateLimit. Default 60 requests.
	AS2RateBurst int `yaml:"as2_rate_burst"`
	// AS2UnwrapMemory bounds the bytes of the AS2 bodies being unwrapped
	// at a time, each needing about three times its size in memory; the
	// others wait their turn with their bodies on disk (in
	// <data>/as2/spool). Default 64 MiB (in bytes): one body of the
	// default max_body, or many small ones.
	AS2UnwrapMemory int64 `yaml:"as2_unwrap_memory"`
	// AS2MaxDecompressed bounds the decompressed content of one AS2
	// message (compressed-data), in bytes; default 64 MiB. Decompressed
	// content also counts against as2_unwrap_memory, with its body: a
	// message over either is refused with an MDN naming the limit.
	AS2MaxDecompressed int64 `yaml:"as2_max_decompressed"`
	// Tokens are the API tokens.
	Tokens []TokenConfig `yaml:"tokens"`
	// RateLimit is the sustained API and dashboard requests per second
	// allowed per token (and per client address without one). Default
	// 20 requests/s.
	RateLimit int `yaml:"rate_limit"`
	// RateBurst is the requests a token may make at once above
	// RateLimit. Default 40 requests.
	RateBurst int `yaml:"rate_burst"`
	// SessionKeyFile is a file of at least 32 random bytes (e.g.
	// `head -c 32 /dev/urandom`, mode 0600, read by no one else) whose
	// whole content signs dashboard sessions and CSRF tokens; relative
	// to the configuration file. Give every node the same file so that a
	// login holds on any node. Default empty: on PostgreSQL storage a key
	// kept in the database, shared by every node; on bbolt a key kept in
	// <data>/session-key. The key is never logged.
	SessionKeyFile string `yaml:"session_key_file"`
}

// TokenConfig is one API token: stored as its SHA-256, never in clear.
type TokenConfig struct {
	Name   string `yaml:"name"`   // who uses it: named in the logs of what it does
	SHA256 string `yaml:"sha256"` // hex SHA-256 of the token
	Role   string `yaml:"role"`   // read-only or operator
}

// SFTPConfig configures the SFTP server.
type SFTPConfig struct {
	// Listen is host:port; empty disables the server. Default
	// 127.0.0.1:2222.
	Listen string `yaml:"listen"`
	// Root is where each partner's jailed folder lives (default
	// <data>/sftp).
	Root string `yaml:"root"`
	// MaxSessions per partner (default 8).
	MaxSessions int `yaml:"max_sessions"`
	// IdleTimeout closes a quiet session (default 10 min); LoginTimeout
	// bounds the handshake (default 30 s).
	IdleTimeout  time.Duration `yaml:"idle_timeout"`
	LoginTimeout time.Duration `yaml:"login_timeout"`
}

// FolderConfig configures watched folders.
type FolderConfig struct {
	// Rescan is how often folders are rescanned besides fsnotify events
	// (default 30 s).
	Rescan time.Duration `yaml:"rescan"`
}

// LimitsConfig bounds the processing of one message.
type LimitsConfig struct {
	// MaxHLDepth is the deepest nesting of HL levels accepted in an 856,
	// the root HL (normally the shipment) being level 1. A deeper HL
	// fails its transaction set with the HL's place. Real notices use
	// under 10 levels (shipment, order, tare, pack, subpack, item).
	// Default 100 levels.
	MaxHLDepth int `yaml:"max_hl_depth"`
	// MessageTimeout bounds the processing of one message (parse,
	// validate, map, post). A message still at work after it fails with
	// the reason and can be replayed. Default 5m (a duration: 90s, 10m).
	MessageTimeout time.Duration `yaml:"message_timeout"`
	// MaxAttempts is how many times the processing of one message may
	// start without finishing (the gateway was stopped or crashed while
	// at it) before the message fails with the reason, instead of being
	// taken up again at every start. Default 3 attempts.
	MaxAttempts int `yaml:"max_attempts"`
}

// FlatConfig bounds what processing one flat file (CSV, fixed-width, Excel)
// may cost, so that memory depends on these limits, not on the input. A
// file over a limit fails whole (nothing posted), with an error that names
// the setting and its value; its bytes stay in the inbox.
type FlatConfig struct {
	// MaxRows bounds the rows of one file, blank rows not counted
	// (default 100,000; at most 1,000,000, what the ledger posts in one
	// document). Every row's movement is held until the file is posted:
	// measured, a 100,000-row CSV peaks at 245 MB of memory in `dockside
	// ingest`, posting included, so raise it with care.
	MaxRows int `yaml:"max_rows"`
	// MaxProblems bounds the problems reported for one file; reading stops
	// past it (default 1,000).
	MaxProblems int `yaml:"max_problems"`
	// MaxRecordBytes bounds one record in bytes: a CSV or fixed-width
	// line, or the values of a workbook row (default 1 MiB).
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// MaxColumns bounds the columns of one record (default 1,024).
	MaxColumns int `yaml:"max_columns"`
	// MaxCellBytes bounds one workbook cell or shared string, in bytes
	// (default 128 KiB).
	MaxCellBytes int `yaml:"max_cell_bytes"`
	// MaxUnzipBytes bounds the unzipped size of all parts of a workbook
	// together, in bytes (default 1 GiB).
	MaxUnzipBytes int64 `yaml:"max_unzip_bytes"`
	// MaxPartBytes bounds the unzipped size of one workbook part (a sheet,
	// the shared strings), in bytes (default 512 MiB).
	MaxPartBytes int64 `yaml:"max_part_bytes"`
	// MaxParts bounds the number of parts (zip entries) of a workbook
	// (default 10,000).
	MaxParts int `yaml:"max_parts"`
	// MaxSharedStrings bounds the strings of a workbook's shared-string
	// table (default 1,000,000).
	MaxSharedStrings int `yaml:"max_shared_strings"`
	// MaxSharedStringBytes bounds the text of all shared strings together,
	// in bytes (default 64 MiB).
	MaxSharedStringBytes int64 `yaml:"max_shared_string_bytes"`
}

// OutboxConfig tunes the retries of outbound messages (advice, acks).
type OutboxConfig struct {
	// RetryDelay is the wait after a first failed attempt (default
	// 30 s); each further failure doubles it, up to MaxRetryDelay
	// (default 1 h), with ±20% jitter.
	RetryDelay time.Duration `yaml:"retry_delay"`
	// MaxRetryDelay caps the wait between attempts (default 1 h).
	MaxRetryDelay time.Duration `yaml:"max_retry_delay"`
	// MaxAttempts is how many attempts are made before a message is dead
	// and waits for an operator (default 8).
	MaxAttempts int `yaml:"max_attempts"`
}

// DefaultConfig returns the configuration used when there is no file.
func DefaultConfig() *Config {
	return &Config{
		Data: "dockside-data", Workers: 4, ClaimLease: time.Minute,
		Identity: IdentityConfig{ISAQualifier: "ZZ", ISAID: "DOCKSIDE", GSID: "DOCKSIDE", AS2ID: "DOCKSIDE"}, MaxFileSize: 256 << 20, Retention: 90 * 24 * time.Hour,
		HTTP: HTTPConfig{Listen: "127.0.0.1:8080", ReadTimeout: time.Minute, WriteTimeout: time.Minute, MaxBody: 64 << 20,
			RateLimit: 20, RateBurst: 40, AS2RateLimit: 20, AS2RateBurst: 60, AS2UnwrapMemory: 64 << 20,
			AS2MaxDecompressed: 64 << 20},
		SFTP:    SFTPConfig{Listen: "127.0.0.1:2222", MaxSessions: 8, IdleTimeout: 10 * time.Minute, LoginTimeout: 30 * time.Second},
		Folders: FolderConfig{Rescan: 30 * time.Second},
		Limits:  LimitsConfig{MaxHLDepth: 100, MessageTimeout: 5 * time.Minute, MaxAttempts: 3},
		Outbox:  OutboxConfig{RetryDelay: 30 * time.Second, MaxRetryDelay: time.Hour, MaxAttempts: 8},
		Flat: FlatConfig{MaxRows: 100_000, MaxProblems: 1_000, MaxRecordBytes: 1 << 20, MaxColumns: 1024, MaxCellBytes: 128 << 10,
			MaxUnzipBytes: 1 << 30, MaxPartBytes: 512 << 20, MaxParts: 10_000, MaxSharedStrings: 1_000_000, MaxSharedStringBytes: 64 << 20},
		NATS: NATSConfig{Batch: 1000, AckWait: DefaultNATSAckWait},
		Events: EventsConfig{Source: stream.DefaultSource, Publish: PublishConfig{NATS: PublishNATSConfig{
			Stream: stream.DefaultNATSStream, Subject: stream.DefaultNATSPrefix, MaxBatch: stream.DefaultMaxBatch, AckTimeout: stream.DefaultAckTimeout}}},
	}
}

// LoadConfig reads the configuration file (when path is not empty) over
// the defaults, then applies DOCKSIDE_ environment overrides from getenv.
// Unknown keys are errors.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	c := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading configuration: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c.File = path
		if c.Partners != "" && !filepath.IsAbs(c.Partners) {
			c.Partners = filepath.Join(filepath.Dir(path), c.Partners)
		}
		if k := c.HTTP.SessionKeyFile; k != "" && !filepath.IsAbs(k) {
			c.HTTP.SessionKeyFile = filepath.Join(filepath.Dir(path), k)
		}
	}
	if err := applyEnv(reflect.ValueOf(c).Elem(), "DOCKSIDE", getenv); err != nil {
		return nil, err
	}
	return c, c.Check()
}

// Check reports settings that cannot work.
func (c *Config) Check() error {
	var errs []error
	if c.Data == "" {
		errs = append(errs, errors.New("data: must not be empty"))
	}
	if c.Storage != "" && !strings.HasPrefix(c.Storage, "postgres://") && !strings.HasPrefix(c.Storage, "postgresql://") {
		errs = append(errs, errors.New("storage: must be empty (bbolt in the data folder) or a postgres:// URL"))
	}
	if c.ClaimLease < time.Second {
		errs = append(errs, fmt.Errorf("claim_lease: %s is under 1s", c.ClaimLease))
	}
	if c.Workers < 1 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("workers: %d is not between 1 and 256", c.Workers))
	}
	if c.MaxFileSize < 1 {
		errs = append(errs, fmt.Errorf("max_file_size: %d must be positive", c.MaxFileSize))
	}
	if c.Limits.MaxHLDepth < 1 {
		errs = append(errs, fmt.Errorf("limits.max_hl_depth: %d must be positive", c.Limits.MaxHLDepth))
	}
	if c.Limits.MessageTimeout <= 0 {
		errs = append(errs, fmt.Errorf("limits.message_timeout: %s must be positive", c.Limits.MessageTimeout))
	}
	if c.Limits.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("limits.max_attempts: %d must be at least 1", c.Limits.MaxAttempts))
	}
	errs = append(errs, c.Flat.check()...)
	if c.Outbox.RetryDelay < 0 || c.Outbox.MaxRetryDelay < 0 || c.Outbox.MaxAttempts < 0 {
		errs = append(errs, errors.New("outbox: retry_delay, max_retry_delay and max_attempts must not be negative"))
	}
	if n := c.Events.Publish.NATS; n.URL != "" {
		if err := stream.CheckPrefix(n.Subject); err != nil {
			errs = append(errs, fmt.Errorf("events.publish.nats.subject: %w", err))
		}
		if n.Stream == "" {
			errs = append(errs, errors.New("events.publish.nats.stream: must not be empty"))
		}
	}
	for i, t := range c.HTTP.Tokens {
		if len(t.SHA256) != 64 {
			errs = append(errs, fmt.Errorf("http.tokens[%d].sha256: must be 64 hex digits (the SHA-256 of the token)", i))
		}
		if t.Role != "read-only" && t.Role != "operator" {
			errs = append(errs, fmt.Errorf("http.tokens[%d].role: %q is not read-only or operator", i, t.Role))
		}
	}
	errs = append(errs, c.checkWebhooks()...)
	return errors.Join(errs...)
}

// applyEnv sets every field of v from an environment variable named
// prefix_FIELD when it is set.
func applyEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			if err := applyEnv(fv, name, getenv); err != nil {
				return err
			}
			continue
		}
		s := getenv(name)
		if s == "" {
			continue
		}
		if err := setFromString(fv, s); err != nil {
			return fmt.Errorf("%s=%q: %w", name, s, err)
		}
	}
	return nil
}

func setFromString(v reflect.Value, s string) error {
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment (%s)", v.Kind())
	}
	return nil
}

// check reports flat-file limits that are not positive.
func (f *FlatConfig) check() []error {
	var errs []error
	for _, l := range []struct {
		name string
		v    int64
	}{
		{"max_rows", int64(f.MaxRows)}, {"max_problems", int64(f.MaxProblems)}, {"max_record_bytes", int64(f.MaxRecordBytes)},
		{"max_columns", int64(f.MaxColumns)}, {"max_cell_bytes", int64(f.MaxCellBytes)}, {"max_unzip_bytes", f.MaxUnzipBytes},
		{"max_part_bytes", f.MaxPartBytes}, {"max_parts", int64(f.MaxParts)}, {"max_shared_strings", int64(f.MaxSharedStrings)},
		{"max_shared_string_bytes", f.MaxSharedStringBytes},
	} {
		if l.v < 1 {
			errs = append(errs, fmt.Errorf("flat.%s: %d must be positive", l.name, l.v))
		}
	}
	if f.MaxRows > ledger.MaxMovements {
		errs = append(errs, fmt.Errorf("flat.max_rows: %d is more than the ledger posts in one document (%d)", f.MaxRows, ledger.MaxMovements))
	}
	return errs
}

// limits returns the mapping's flat-file limits. A workbook's file size is
// bounded by MaxFileSize, as every received file is.
func (f *FlatConfig) limits(maxFile int64) mapping.FlatLimits {
	return mapping.FlatLimits{
		MaxRows: f.MaxRows, MaxProblems: f.MaxProblems,
		Record: flat.Limits{MaxRecordBytes: f.MaxRecordBytes, MaxColumns: f.MaxColumns},
		Workbook: flat.WorkbookLimits{MaxFileBytes: maxFile, MaxUnzipBytes: f.MaxUnzipBytes, MaxPartBytes: f.MaxPartBytes,
			MaxParts: f.MaxParts, MaxSharedStrings: f.MaxSharedStrings, MaxSharedStringBytes: f.MaxSharedStringBytes, MaxCellBytes: f.MaxCellBytes},
	}
}
