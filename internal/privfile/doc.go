// Package privfile writes small private files (mode 0600) atomically:
// a temporary file in the same directory, fsync, then rename or link into
// place, then fsync of the directory, so a crash leaves either the old
// file or the whole new one, never a torn or world-readable one.
package privfile
