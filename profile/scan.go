package profile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fs-dev/fs/featurestore"
	"github.com/fs-dev/fs/transforms"
)

// comoment accumulates a pair's statistics on rows where both are present
// (Welford's update), for pandas' pairwise-complete Pearson correlation.
type comoment struct {
	n                   float64
	mx, my, c, m2x, m2y float64
}

func (m *comoment) add(x, y float64) {
	m.n++
	dx := x - m.mx
	m.mx += dx / m.n
	dyOld := y - m.my
	m.my += dyOld / m.n
	m.c += dx * (y - m.my)
	m.m2x += dx * (x - m.mx)
	m.m2y += dyOld * (y - m.my)
}

func (m *comoment) corr() *float64 {
	if m.n < 2 || m.m2x == 0 || m.m2y == 0 {
		return nil
	}
	r := m.c / math.Sqrt(m.m2x*m.m2y)
	r = math.Max(-1, math.Min(1, r))
	return &r
}

type scanner struct {
	o               Options
	names           []string
	numeric         []string // correlation columns
	rows            int
	rowHash         *hashSet
	keyHash         *hashSet // nil without entity columns and a timestamp
	prevTS          int64
	havePrev        bool
	outOfOrder      int
	tmin, tmax      int64
	haveT           bool
	entities        *entityCounts
	pairs           [][]comoment
	balance         map[string]int
	balanceOverflow bool
}

func newScanner(schema featurestore.Schema, names []string, o Options, hashes func() *hashSet, entities *entityCounts) *scanner {
	s := &scanner{o: o, names: names, entities: entities, balance: map[string]int{}, rowHash: hashes(), keyHash: hashes()}
	keys := map[string]bool{}
	for _, k := range o.EntityColumns {
		keys[k] = true
	}
	for _, n := range names {
		c, _ := schema.Lookup(n)
		if !keys[n] && (c.Type == transforms.Float64 || c.Type == transforms.Int64 || c.Type == transforms.Bool) {
			s.numeric = append(s.numeric, n)
		}
	}
	s.pairs = make([][]comoment, len(s.numeric))
	for i := range s.pairs {
		s.pairs[i] = make([]comoment, len(s.numeric))
	}
	return s
}

func num(s *featurestore.Series, i int) (float64, bool) {
	if s.Null(i) {
		return 0, false
	}
	switch s.Type {
	case transforms.Float64:
		return s.F64[i], !math.IsNaN(s.F64[i])
	case transforms.Int64:
		return float64(s.I64[i]), true
	case transforms.Bool:
		if s.Bool[i] {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// fnv64 is FNV-1a without allocation.
type fnv64 uint64

func newFNV() fnv64 { return 14695981039346656037 }

func (h *fnv64) Write(b []byte) (int, error) {
	x := uint64(*h)
	for _, c := range b {
		x ^= uint64(c)
		x *= 1099511628211
	}
	*h = fnv64(x)
	return len(b), nil
}

func hashValue(h *fnv64, s *featurestore.Series, i int) {
	var b [9]byte
	if s.Null(i) {
		h.Write([]byte{0})
		return
	}
	b[0] = 1
	switch s.Type {
	case transforms.Float64:
		binary.LittleEndian.PutUint64(b[1:], math.Float64bits(s.F64[i]))
	case transforms.Int64, transforms.Timestamp:
		binary.LittleEndian.PutUint64(b[1:], uint64(s.I64[i]))
	case transforms.Bool:
		if s.Bool[i] {
			b[1] = 1
		}
	case transforms.String:
		h.Write(b[:1])
		h.Write([]byte(s.Str[i]))
		h.Write([]byte{0xff})
		return
	}
	h.Write(b[:])
}

func (s *scanner) add(t *featurestore.Table) error {
	var keys []*featurestore.Series
	for _, k := range s.o.EntityColumns {
		if c := t.Lookup(k); c != nil {
			keys = append(keys, c)
		}
	}
	ts := t.Lookup(s.o.TimestampColumn)
	nums := make([]*featurestore.Series, len(s.numeric))
	for i, n := range s.numeric {
		nums[i] = t.Lookup(n)
	}
	target := t.Lookup(s.o.Target)
	xs := make([]float64, len(nums))
	ok := make([]bool, len(nums))
	for i := 0; i < t.Rows; i++ {
		h := newFNV()
		for _, c := range t.Series {
			hashValue(&h, c, i)
		}
		s.rowHash.add(uint64(h))
		if ts != nil && !ts.Null(i) {
			v := ts.I64[i]
			if s.havePrev && v < s.prevTS {
				s.outOfOrder++
			}
			s.prevTS, s.havePrev = v, true
			if !s.haveT || v < s.tmin {
				s.tmin = v
			}
			if !s.haveT || v > s.tmax {
				s.tmax = v
			}
			s.haveT = true
		}
		if len(keys) > 0 {
			kh := newFNV()
			for _, k := range keys {
				hashValue(&kh, k, i)
			}
			if len(keys) == 1 && keys[0].Type == transforms.Int64 && !keys[0].Null(i) {
				s.entities.addInt(keys[0].I64[i])
			} else {
				key := ""
				for j, k := range keys {
					if j > 0 {
						key += ","
					}
					key += fmt.Sprint(k.Value(i))
				}
				s.entities.addString(key)
			}
			if ts != nil {
				hashValue(&kh, ts, i)
				s.keyHash.add(uint64(kh))
			}
		}
		for j, c := range nums {
			xs[j], ok[j] = num(c, i)
		}
		for a := range nums {
			if !ok[a] {
				continue
			}
			for b := a + 1; b < len(nums); b++ {
				if ok[b] {
					s.pairs[a][b].add(xs[a], xs[b])
				}
			}
		}
		if target != nil && !s.balanceOverflow {
			if !target.Null(i) {
				s.balance[fmt.Sprint(target.Value(i))]++
				if len(s.balance) > 20 {
					s.balanceOverflow = true
				}
			}
		}
	}
	s.rows += t.Rows
	return nil
}

// duplicates is how many hashes repeat an earlier one.
func duplicates(h []uint64) int {
	slices.Sort(h)
	d := 0
	for i := 1; i < len(h); i++ {
		if h[i] == h[i-1] {
			d++
		}
	}
	return d
}

// hashSet collects row hashes to count the repeats: in memory up to limit
// hashes, then in hashPartitions files by the hash's top bits (equal
// hashes share a file, so each file is sorted and counted alone).
type hashSet struct {
	mem     []uint64
	limit   int
	dir     string
	files   []*os.File
	writers []*bufio.Writer
	n       int
	err     error
}

const hashPartitions = 64

func (h *hashSet) used() bool { return h.n > 0 }

func (h *hashSet) add(x uint64) {
	h.n++
	if h.writers == nil {
		h.mem = append(h.mem, x)
		if len(h.mem) > h.limit && h.dir != "" {
			h.spill()
		}
		return
	}
	w := h.writers[x>>58]
	if _, err := w.Write(binary.LittleEndian.AppendUint64(w.AvailableBuffer(), x)); err != nil && h.err == nil {
		h.err = err
	}
}

// spill opens the partition files and moves the hashes held there.
func (h *hashSet) spill() {
	for p := 0; p < hashPartitions; p++ {
		f, err := os.CreateTemp(h.dir, "hashes-*")
		if err != nil {
			h.err = err
			return
		}
		h.files, h.writers = append(h.files, f), append(h.writers, bufio.NewWriterSize(f, 64<<10))
	}
	mem := h.mem
	h.mem, h.n = nil, h.n-len(mem)
	for _, x := range mem {
		h.add(x)
	}
}

// duplicates is how many hashes repeat an earlier one.
func (h *hashSet) duplicates() (int, error) {
	if h.err != nil {
		return 0, fmt.Errorf("profile temporary files: %w", h.err)
	}
	if h.writers == nil {
		return duplicates(h.mem), nil
	}
	d := 0
	for p, f := range h.files {
		if err := h.writers[p].Flush(); err != nil {
			return 0, err
		}
		data, err := os.ReadFile(f.Name())
		f.Close()
		os.Remove(f.Name())
		if err != nil {
			return 0, err
		}
		part := make([]uint64, len(data)/8)
		for i := range part {
			part[i] = binary.LittleEndian.Uint64(data[8*i:])
		}
		d += duplicates(part)
	}
	return d, nil
}

func (s *scanner) table() (Table, error) {
	dups, err := s.rowHash.duplicates()
	if err != nil {
		return Table{}, err
	}
	t := Table{DuplicateRows: dups, EntityColumns: s.o.EntityColumns, TimestampColumn: s.o.TimestampColumn,
		OutOfOrder: s.outOfOrder}
	if s.keyHash.used() {
		if t.DuplicateKeyTime, err = s.keyHash.duplicates(); err != nil {
			return Table{}, err
		}
	}
	if s.haveT {
		t.TimeMin, t.TimeMax = timeFromNanos(s.tmin), timeFromNanos(s.tmax)
	}
	es, err := s.entities.summary()
	if err != nil {
		return Table{}, err
	}
	if es.n > 0 {
		t.Entities, t.RowsPerEntityMin, t.RowsPerEntityMed, t.RowsPerEntityMax, t.MaxEntity = es.n, es.min, es.median, es.max, es.maxKey
	}
	s.rowHash, s.keyHash = nil, nil
	return t, nil
}

func (s *scanner) matrix() *Matrix {
	if len(s.numeric) < 2 {
		return nil
	}
	m := &Matrix{Names: s.numeric}
	for a := range s.numeric {
		row := make([]*float64, len(s.numeric))
		for b := range s.numeric {
			switch {
			case a == b:
				one := 1.0
				row[b] = &one
			case a < b:
				row[b] = s.pairs[a][b].corr()
			default:
				row[b] = s.pairs[b][a].corr()
			}
		}
		m.Values = append(m.Values, row)
	}
	return m
}

func (s *scanner) target(name string, cols []*Column) (*TargetAnalysis, error) {
	ta := &TargetAnalysis{Name: name}
	found := false
	for _, c := range cols {
		found = found || c.Name == name
	}
	if !found {
		var names []string
		for _, c := range cols {
			names = append(names, c.Name)
		}
		hint := transforms.Suggest(name, names)
		if hint == "" {
			hint = "its columns are " + strings.Join(names, ", ") + "; a label usually lives in the entity file, so profile the dataset fs materialize wrote from it"
		}
		return nil, featurestore.Errorf(featurestore.EINVALID, "no column %q to use as the target", name).WithHint("%s", hint)
	}
	if !s.balanceOverflow {
		total := 0
		for _, c := range s.balance {
			total += c
		}
		for v, c := range s.balance {
			ta.Balance = append(ta.Balance, ValueCount{Value: v, Count: c, Share: float64(c) / float64(total)})
		}
		sort.Slice(ta.Balance, func(i, j int) bool {
			if ta.Balance[i].Count != ta.Balance[j].Count {
				return ta.Balance[i].Count > ta.Balance[j].Count
			}
			return ta.Balance[i].Value < ta.Balance[j].Value
		})
	}
	ti := slices.Index(s.numeric, name)
	if ti < 0 {
		return ta, nil
	}
	for i, n := range s.numeric {
		if i == ti {
			continue
		}
		var r *float64
		if i < ti {
			r = s.pairs[i][ti].corr()
		} else {
			r = s.pairs[ti][i].corr()
		}
		ta.Correlation = append(ta.Correlation, NamedValue{Name: n, Value: r})
	}
	return ta, nil
}

func timeFromNanos(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
