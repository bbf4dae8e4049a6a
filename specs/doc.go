// Package specs holds X12 transaction set specs as embedded data and the
// validator that reads them.
package specs
