// Package record owns the stored layout of the keystore's four record
// kinds — users, sessions, API keys and OAuth links — for both durable
// back-ends (keystore/bolt writes the bytes into a bbolt file,
// keystore/redis into Redis values), and the field primitives that
// layout is made of (Writer and Reader). The back-ends differ only in
// their format bytes (Bolt and Redis); the fields, their order and their
// encoding are the same.
//
// A record is a format byte followed by its fields, in a fixed order:
// strings and byte slices as a uvarint length and the bytes, bools as
// one byte 0 or 1, string lists as a uvarint count and the strings,
// times as 0 for the zero time or 1, the Unix seconds (varint) and the
// nanoseconds (uvarint), read back in UTC. Nothing follows the last
// field.
//
// Decoders take a string. Strings they return share it, byte slices are
// fresh copies. A back-end whose input is only valid for a while (bbolt:
// until the transaction ends) converts it with string(b) once; that one
// copy is what the decoded record then shares.
//
// What it must never do:
//   - change a layout without a new format byte: bytes written by any
//     earlier build stay readable exactly as they were (the golden test
//     holds the bytes of every layout); a new field is a new format byte,
//     and the old one is still decoded;
//   - guess at a format it does not know, at a truncated record or at one
//     with bytes left over: all of these are ErrCorrupt, and a record of
//     one kind never decodes as another within a back-end's formats;
//   - put the bytes it failed on into an error: ErrCorrupt carries no data;
//   - size an allocation from a count or length it has not checked
//     against what is left of the input.
package record
