package badger

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
)

// Badger's write-ahead log (.mem) layout, as its replay reads it: a 20-byte
// header, then entries of a header (meta, user meta, uvarint key length,
// value length and expiry), the key (with its version in the last 8
// bytes), the value and a CRC-32C of all that. A transaction's entries
// carry bitTxn; an entry with bitFinTxn, whose value is the version,
// commits them.
const (
	logHeaderSize = 20
	bitDelete     = 1 << 0
	bitValuePtr   = 1 << 1
	bitTxn        = 1 << 6
	bitFinTxn     = 1 << 7
	maxLogKey     = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// kv is one version of a key, from a log or a table.
type kv struct {
	key       []byte // without the version
	version   uint64
	meta      byte
	userMeta  byte
	expiresAt uint64
	value     []byte
}

// logContents is what a write-ahead log holds.
type logContents struct {
	committed []kv
	// clean is false when bytes follow the committed part that a killed
	// writer cannot have left (more than one unfinished transaction and a
	// partly written entry): the log is damaged, and replaying it would
	// drop committed transactions.
	clean bool
	stop  int // where reading stopped
}

// readLog reads the committed transactions of a write-ahead log.
func readLog(path string) (logContents, error) {
	b, err := readWritten(path)
	if err != nil {
		return logContents{}, err
	}
	var out logContents
	var pending []kv
	var txnTs uint64
	off := logHeaderSize
	for off < len(b) {
		e, n, ok := decodeLogEntry(b[off:])
		if !ok {
			break
		}
		switch {
		case e.meta&bitFinTxn != 0:
			ts, err := strconv.ParseUint(string(e.value), 10, 64)
			if err != nil || ts != txnTs {
				return finishLog(b, off, out), nil
			}
			out.committed = append(out.committed, pending...)
			pending, txnTs = nil, 0
		case e.meta&bitTxn != 0:
			if txnTs == 0 {
				txnTs = e.version
			}
			if e.version != txnTs {
				return finishLog(b, off, out), nil
			}
			pending = append(pending, e)
		default:
			out.committed = append(out.committed, e)
		}
		off += n
	}
	return finishLog(b, off, out), nil
}

// finishLog decides whether what follows off is what a killed writer
// leaves: one entry at most, partly written, then zeros.
func finishLog(b []byte, off int, out logContents) logContents {
	out.stop = off
	last := lastNonZero(b)
	partial := 32
	if h, ok := decodeLogHeader(b[min(off, len(b)):]); ok {
		partial = h.size
	}
	out.clean = last < off+partial
	return out
}

// logHeader is an entry's header.
type logHeader struct {
	meta, userMeta byte
	klen, vlen     int
	expiresAt      uint64
	size           int // header, key, value and checksum
}

// decodeLogHeader decodes the header at the start of b.
func decodeLogHeader(b []byte) (h logHeader, ok bool) {
	if len(b) < 2 {
		return h, false
	}
	h.meta, h.userMeta = b[0], b[1]
	i := 2
	var lens [3]uint64
	for j := range lens {
		v, c := binary.Uvarint(b[i:])
		if c <= 0 {
			return h, false
		}
		lens[j], i = v, i+c
	}
	if lens[0] > maxLogKey || lens[1] > math.MaxInt32 {
		return h, false
	}
	h.klen, h.vlen, h.expiresAt = int(lens[0]), int(lens[1]), lens[2]
	h.size = i + h.klen + h.vlen + 4
	return h, true
}

// decodeLogEntry decodes the entry at the start of b and its length; ok
// is false for a zero, partial or corrupt entry.
func decodeLogEntry(b []byte) (e kv, n int, ok bool) {
	h, ok := decodeLogHeader(b)
	zero := h.meta == 0 && h.userMeta == 0 && h.klen == 0 && h.vlen == 0
	if !ok || zero || h.size > len(b) || h.klen < 8 {
		return e, 0, false
	}
	body := b[:h.size-4]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(b[h.size-4:h.size]) {
		return e, 0, false
	}
	hlen := h.size - 4 - h.klen - h.vlen
	key := body[hlen : hlen+h.klen]
	e = kv{key: append([]byte(nil), key[:h.klen-8]...),
		version: math.MaxUint64 - binary.BigEndian.Uint64(key[h.klen-8:]),
		meta:    h.meta, userMeta: h.userMeta, expiresAt: h.expiresAt,
		value: append([]byte(nil), body[hlen+h.klen:]...)}
	return e, h.size, true
}

// lastNonZero is the index of the last byte of b that is not zero, or -1;
// a log is mostly zeros past its end, so it looks at 8 bytes at a time.
func lastNonZero(b []byte) int {
	i := len(b)
	for i >= 8 && binary.LittleEndian.Uint64(b[i-8:i]) == 0 {
		i -= 8
	}
	for i > 0 && b[i-1] == 0 {
		i--
	}
	return i - 1
}

// readWritten reads a file up to the end of its last extent that holds
// data: Badger preallocates its logs as sparse files, and reading the holes
// (zeros) of a 32 MB log costs more than the rest of a command.
func readWritten(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	end := dataEnd(f, fi.Size())
	b := make([]byte, end)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// dataEnd is where the file's last data extent ends (the file's size
// where the file system cannot say).
func dataEnd(f *os.File, size int64) int64 {
	end, ok := lastExtentEnd(f, size)
	if _, err := f.Seek(0, io.SeekStart); err != nil || !ok {
		return size
	}
	return min(end, size)
}
