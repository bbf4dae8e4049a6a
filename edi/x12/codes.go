package x12

// TA1 interchange note codes (I18) that the decoder reports.
const (
	NoteNoError            = "000"
	NoteControlMismatch    = "001" // ISA13 and IEA02 differ
	NoteBadTerminator      = "004"
	NoteBadSenderQualifier = "005"
	NoteBadSenderID        = "006"
	NoteBadReceiverQual    = "007"
	NoteBadReceiverID      = "008"
	NoteBadAuthQualifier   = "010"
	NoteBadAuthInfo        = "011"
	NoteBadSecQualifier    = "012"
	NoteBadSecInfo         = "013"
	NoteBadDate            = "014"
	NoteBadTime            = "015"
	NoteBadStandardsID     = "016"
	NoteBadVersion         = "017"
	NoteBadControlNumber   = "018"
	NoteBadAckRequested    = "019"
	NoteBadUsage           = "020"
	NoteBadGroupCount      = "021"
	NoteBadStructure       = "022"
	NoteEarlyEOF           = "023"
	NoteBadContent         = "024"
	NoteBadComponentSep    = "027"
)

// AK905 functional group error codes (716).
const (
	GroupNotSupported        = "1"
	GroupVersionNotSupported = "2"
	GroupTrailerMissing      = "3"
	GroupControlMismatch     = "4"
	GroupSetCountWrong       = "5"
	GroupControlSyntax       = "6"
)

// AK502 / IK502 transaction set error codes (718).
const (
	SetNotSupported      = "1"
	SetTrailerMissing    = "2"
	SetControlMismatch   = "3"
	SetSegmentCountWrong = "4"
	SetSegmentsInError   = "5"
	SetBadID             = "6"
	SetBadControlNumber  = "7"
)

// AK304 / IK304 segment error codes (720).
const (
	SegUnrecognized    = "1"
	SegUnexpected      = "2"
	SegMandatoryMiss   = "3"
	SegLoopOverMax     = "4"
	SegOverMaxUse      = "5"
	SegNotInSet        = "6"
	SegOutOfSequence   = "7"
	SegHasElementError = "8"
)

// AK403 / IK403 element error codes (723).
const (
	ElemMandatoryMissing   = "1"
	ElemConditionalMissing = "2"
	ElemTooMany            = "3"
	ElemTooShort           = "4"
	ElemTooLong            = "5"
	ElemInvalidChar        = "6"
	ElemInvalidCode        = "7"
	ElemInvalidDate        = "8"
	ElemInvalidTime        = "9"
	ElemExclusionViolated  = "10"
)

// Acknowledgement status codes (AK501/IK501, AK901, TA104).
const (
	StatusAccepted       = "A"
	StatusAcceptedErrors = "E"
	StatusPartial        = "P"
	StatusRejected       = "R"
)
