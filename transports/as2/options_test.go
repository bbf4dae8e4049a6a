package as2

import (
	"errors"
	"testing"
)

func TestNotificationOptions(t *testing.T) {
	tests := []struct {
		name, in  string
		signed    bool
		mic       string // the chosen MIC algorithm as spelled, "" none
		required  bool   // micalg required
		wantError bool
	}{
		{"usual", "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1", true, "sha-256", false, false},
		{"reversed", "signed-receipt-micalg=optional, sha1, sha-256; signed-receipt-protocol=optional, pkcs7-signature", true, "sha1", false, false},
		{"first supported", "signed-receipt-protocol=optional,pkcs7-signature;signed-receipt-micalg=optional,md5,SHA-512,sha1", true, "SHA-512", false, false},
		{"white space and case", "  Signed-Receipt-Protocol = Required , PKCS7-Signature ;  Signed-Receipt-MICalg = required , sha384 ", true, "sha384", true, false},
		{"quoted values", `signed-receipt-protocol=optional, "pkcs7-signature"; signed-receipt-micalg=optional, "sha-256"`, true, "sha-256", false, false},
		{"no importance", "signed-receipt-protocol=pkcs7-signature; signed-receipt-micalg=sha1", true, "sha1", false, false},
		{"micalg only", "signed-receipt-micalg=optional, sha-256", false, "sha-256", false, false},
		{"none supported", "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=required, md5", true, "", true, false},
		{"unknown attribute", "foo=bar; signed-receipt-protocol=optional, pkcs7-signature", true, "", false, false},
		{"empty params", ";;signed-receipt-protocol=optional, pkcs7-signature;", true, "", false, false},
		{"no equals", "signed-receipt-protocol", false, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseNotificationOptions(tt.in)
			if tt.wantError {
				if !errors.Is(err, ErrBadRequest) {
					t.Fatalf("error %v, want ErrBadRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.wantsSignature() != tt.signed {
				t.Errorf("wantsSignature %v, want %v", o.wantsSignature(), tt.signed)
			}
			_, spelling, ok := o.micAlgorithm()
			if spelling != tt.mic || ok != (tt.mic != "") {
				t.Errorf("micAlgorithm %q %v, want %q", spelling, ok, tt.mic)
			}
			if o.micalgRequired != tt.required {
				t.Errorf("micalg required %v, want %v", o.micalgRequired, tt.required)
			}
		})
	}
}

func TestMICEqual(t *testing.T) {
	tests := []struct {
		a, b string
		eq   bool
	}{
		{"abc=, sha-256", "abc=, sha256", true},
		{"abc=, SHA1", "abc=,sha-1", true},
		{"abc=, sha1", "abd=, sha1", false},
		{"abc=, sha1", "abc=, sha256", false},
	}
	for _, tt := range tests {
		a, ok1 := ParseMIC(tt.a)
		b, ok2 := ParseMIC(tt.b)
		if !ok1 || !ok2 {
			t.Fatalf("ParseMIC(%q, %q) failed", tt.a, tt.b)
		}
		if a.Equal(b) != tt.eq {
			t.Errorf("%q = %q: %v, want %v", tt.a, tt.b, a.Equal(b), tt.eq)
		}
	}
	if _, ok := ParseMIC("nocomma"); ok {
		t.Error("ParseMIC accepted a value without algorithm")
	}
}

func TestDisposition(t *testing.T) {
	tests := []struct {
		in   string
		want Disposition
		ok   bool
	}{
		{"automatic-action/MDN-sent-automatically; processed", DispProcessed, true},
		{"automatic-action/MDN-sent-automatically; processed/error: decryption-failed", DispDecryptionFailed, true},
		{"Automatic-Action/MDN-Sent-Automatically; Processed/Error: authentication-failed", DispAuthFailed, true},
		{"automatic-action/MDN-sent-automatically; failed/Failure: unsupported format", DispUnsupportedFormat, true},
		{"processed/warning: duplicate-document", Disposition{"processed", "warning", "duplicate-document"}, true},
		{"nonsense", Disposition{Type: "nonsense"}, false},
	}
	for _, tt := range tests {
		got, ok := ParseDisposition(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseDisposition(%q) = %+v %v, want %+v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if !(Disposition{"processed", "warning", "x"}).OK() || DispIntegrityFailed.OK() || DispUnsupportedFormat.OK() {
		t.Error("OK() wrong")
	}
	if got := DispUnsupportedFormat.Field(); got != "automatic-action/MDN-sent-automatically; failed/failure: unsupported format" {
		t.Errorf("Field() = %q", got)
	}
}

func TestDispositionFor(t *testing.T) {
	tests := []struct {
		err  error
		want Disposition
	}{
		{ErrDecryption, DispDecryptionFailed},
		{classify(&ASN1Error{Structure: "EnvelopedData", Msg: "x"}, ErrDecryption), DispDecryptionFailed},
		{classify(ErrUnsupported, ErrDecryption), DispUnsupportedFormat},
		{ErrIntegrity, DispIntegrityFailed},
		{ErrAuthentication, DispAuthFailed},
		{ErrUnknownPartner, DispAuthFailed},
		{ErrDecompression, DispDecompressFailed},
		{ErrUnsupportedMIC, DispUnsupportedMICAlgs},
		{ErrNotForUs, DispUnexpectedError},
		{errors.New("disk full"), DispUnexpectedError},
	}
	for _, tt := range tests {
		if got := dispositionFor(tt.err); got != tt.want {
			t.Errorf("dispositionFor(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
