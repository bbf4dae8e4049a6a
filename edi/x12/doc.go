// Package x12 reads and writes ANSI X12 interchanges.
//
// Reader tokenizes a stream into segments with bounded memory (one segment
// plus its read buffer), taking the delimiters from each ISA: the element
// separator at byte 3, the repetition separator in ISA11 from version 00402
// on (a letter or a space there means none), the component separator in
// ISA16 and the segment terminator at byte 105. Every segment knows its
// place: byte offset, line, column, number in the input and number in its
// transaction set (ST = 1, as AK302 counts).
//
// Decoder groups segments into interchanges, functional groups and
// transaction sets, holding one set in memory at a time, and checks the
// envelopes: IEA01 against the groups read, IEA02 against ISA13, GE01 and
// GE02 against the sets read and GS06, SE01 and SE02 against the segments
// read and ST02. Problems carry the code a TA1 (interchange), an AK9
// (group) or an AK5 (set) reports. Check runs a Decoder and a SetValidator
// over a whole input; CheckConcurrent does the same as a pipeline of three
// goroutines (decoding, validation, the caller's handling of each set), for
// two cores or more; Writer writes segments and envelopes with their counts;
// WriteFunctionalAck and TA1 write acknowledgements.
//
// Memory: a Decoder reads each set into buffers it reuses for the next, so
// a set is valid only until the next call to Next, unless Decoder.Lend
// hands its buffers to the caller (Decoder.Return gives them back). A
// BufferPool in DecoderOptions keeps the buffers of finished decoders for
// the next ones.
//
// What every reader accepts: a CR, LF or CRLF after each terminator, a line
// feed as the terminator itself, several interchanges in one input, and a
// missing line feed at the very end when the line feed is the terminator.
//
// Leniencies: input that a strict reader rejects but whose meaning is
// unambiguous. They are accepted with a Warning (Reader.TakeWarnings,
// Interchange.Warnings); ReaderOptions.Strict turns each into an error
// (ErrStrict for the reader, an envelope error for the decoder):
//
//   - a UTF-8 byte order mark before an ISA;
//   - white space (space, tab, NUL) before a segment, e.g. indentation;
//     at most 64 KiB of it in a row, and no NUL before the first ISA:
//     input that cannot begin an interchange (a file of zeros or of
//     blanks) is refused after a bounded prefix, with its offset;
//   - a non-ASCII segment terminator such as "…" (one UTF-8 character);
//   - input wrapped at a fixed width (line breaks inside segments, even
//     inside the ISA), which is unwrapped;
//   - an ISA whose elements are not padded to their fixed widths;
//   - a final IEA without a terminator (when the terminator is not a line
//     feed);
//   - an empty segment (two terminators in a row);
//   - ISB and ISE segments between ISA and the first GS;
//   - an IEA02 or GE02 that matches its header only without zero padding.
package x12
