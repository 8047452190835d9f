package profile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"sort"
	"strconv"
)

// entityCounts counts the rows of each entity: in maps, and once they
// hold more than limit entities (with a temporary directory), flushed as
// (key, count) pairs to entityPartitions files by a hash of the key, each
// file summed alone at the end, so that memory does not grow with the
// number of entities. An integer key counts as its decimal text.
type entityCounts struct {
	strs    map[string]int
	ints    map[int64]int
	limit   int
	dir     string
	files   []*os.File
	writers []*bufio.Writer
	err     error
}

const entityPartitions = 64

// entityBytes is about what an entity takes in the maps.
const entityBytes = 100

var entitySeed = maphash.MakeSeed()

func newEntityCounts(limit int, dir string) *entityCounts {
	return &entityCounts{strs: map[string]int{}, ints: map[int64]int{}, limit: max(limit, 1), dir: dir}
}

func (e *entityCounts) addInt(k int64) {
	e.ints[k]++
	e.check()
}

func (e *entityCounts) addString(k string) {
	e.strs[k]++
	e.check()
}

func (e *entityCounts) check() {
	if e.dir != "" && len(e.ints)+len(e.strs) > e.limit {
		e.flush()
	}
}

// flush writes the counts held to the partition files and empties the
// maps.
func (e *entityCounts) flush() {
	if e.writers == nil {
		for range entityPartitions {
			f, err := os.CreateTemp(e.dir, "entities-*")
			if err != nil {
				e.err = err
				return
			}
			e.files, e.writers = append(e.files, f), append(e.writers, bufio.NewWriterSize(f, 64<<10))
		}
	}
	for k, c := range e.ints {
		e.write(strconv.FormatInt(k, 10), c)
	}
	for k, c := range e.strs {
		e.write(k, c)
	}
	clear(e.ints)
	clear(e.strs)
}

func (e *entityCounts) write(k string, c int) {
	w := e.writers[maphash.String(entitySeed, k)%entityPartitions]
	b := binary.AppendUvarint(w.AvailableBuffer(), uint64(len(k)))
	b = append(b, k...)
	if _, err := w.Write(binary.AppendUvarint(b, uint64(c))); err != nil && e.err == nil {
		e.err = err
	}
}

// entitySummary is what a profile says of the entities: how many, the
// rows of each (min, median, max) and the entity with the most (the
// smallest key among ties).
type entitySummary struct {
	n, min, max int
	median      float64
	maxKey      string
	hist        map[int]int // entities by their row count
}

func (e *entityCounts) summary() (entitySummary, error) {
	s := entitySummary{hist: map[int]int{}}
	if e.writers == nil {
		for k, c := range e.ints {
			e.strs[strconv.FormatInt(k, 10)] += c
		}
		s.add(e.strs)
		return s.done(), nil
	}
	e.flush()
	for p, f := range e.files {
		counts, err := e.readPartition(p)
		f.Close()
		os.Remove(f.Name())
		if err != nil {
			return s, fmt.Errorf("profile temporary files: %w", err)
		}
		s.add(counts)
	}
	return s.done(), nil
}

// readPartition sums a partition file's pairs by key.
func (e *entityCounts) readPartition(p int) (map[string]int, error) {
	if e.err != nil {
		return nil, e.err
	}
	if err := e.writers[p].Flush(); err != nil {
		return nil, err
	}
	f := e.files[p]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	counts := map[string]int{}
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return counts, nil
		}
		if err != nil {
			return nil, err
		}
		k := make([]byte, n)
		if _, err := io.ReadFull(r, k); err != nil {
			return nil, err
		}
		c, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		counts[string(k)] += int(c)
	}
}

// add takes the counts of some entities (each entity in one call only).
func (s *entitySummary) add(counts map[string]int) {
	for k, c := range counts {
		s.n++
		s.hist[c]++
		if c > s.max || (c == s.max && k < s.maxKey) {
			s.max, s.maxKey = c, k
		}
	}
}

// done works out the smallest and the median count from the histogram.
func (s entitySummary) done() entitySummary {
	if s.n == 0 {
		return s
	}
	counts := make([]int, 0, len(s.hist))
	for c := range s.hist {
		counts = append(counts, c)
	}
	sort.Ints(counts)
	s.min = counts[0]
	// The counts at places m-1 and m of the sorted list of all counts.
	at := func(place int) int {
		seen := 0
		for _, c := range counts {
			if seen += s.hist[c]; place < seen {
				return c
			}
		}
		return counts[len(counts)-1]
	}
	m := s.n / 2
	if s.n%2 == 1 {
		s.median = float64(at(m))
	} else {
		s.median = float64(at(m-1)+at(m)) / 2
	}
	return s
}
