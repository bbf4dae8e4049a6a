package as2

import (
	"fmt"

	"github.com/smallstep/pkcs7"
)

// signDetached returns the DER of a detached CMS SignedData over content,
// made with id and digest d. It sets everything per call: pkcs7's
// package-level defaults are never read for the digest or changed. The
// signed attributes are content type, message digest and signing time;
// no CMSAlgorithmProtection (IBM Sterling rejects it).
func signDetached(content []byte, id Identity, d digestAlg) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("as2: signing: %w", err)
	}
	sd.SetDigestAlgorithm(d.oid)
	if err := sd.AddSigner(id.Cert, id.Key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("as2: signing with %s: %w", d.micalg, err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("as2: signing: %w", err)
	}
	return der, nil
}
