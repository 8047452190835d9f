package demo

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/fs-dev/fs/atomicfile"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Options sizes the generated data.
type Options struct {
	Seed    uint64
	Drivers int       // number of drivers, ids from 1001
	Hours   int       // hourly rows per driver
	Start   time.Time // first event time
	Orders  int       // labelled order rows
	// Force rewrites files that exist; otherwise Write keeps them (a
	// user may have edited features.yaml, as the README invites).
	Force bool
}

// DefaultOptions is what the demo uses: 5 drivers over 15 days, like the
// driver stats export it imitates.
func DefaultOptions() Options {
	return Options{Seed: 17, Drivers: 5, Hours: 360, Start: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), Orders: 800}
}

type statsRow struct {
	Datetime      int64    `parquet:"datetime,timestamp(microsecond:utc)"`
	DriverID      int64    `parquet:"driver_id"`
	ConvRate      *float64 `parquet:"conv_rate,optional"`
	AccRate       *float64 `parquet:"acc_rate,optional"`
	AvgDailyTrips *int64   `parquet:"avg_daily_trips,optional"`
	Created       int64    `parquet:"created,timestamp(microsecond:utc)"`
}

// driverProfile holds the hidden traits a driver's stats drift around.
type driverProfile struct{ conv, acc, trips float64 }

func profiles(rng *rand.Rand, n int) []driverProfile {
	out := make([]driverProfile, n)
	for i := range out {
		out[i] = driverProfile{conv: 0.2 + 0.6*rng.Float64(), acc: 0.3 + 0.6*rng.Float64(), trips: 200 + 800*rng.Float64()}
	}
	return out
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// Write generates driver_stats.parquet, orders.tsv, trips.parquet, features.yaml and
// expectations.yaml in
// dir, each only where it is missing unless o.Force.
func Write(dir string, o Options) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name  string
		write func(path string) error
	}{
		{"driver_stats.parquet", func(p string) error { return WriteDriverStats(p, o) }},
		{"orders.tsv", func(p string) error { return WriteOrders(p, o) }},
		{"trips.parquet", func(p string) error { return WriteTrips(p, o) }},
		{"features.yaml", func(p string) error { return writeFile(p, []byte(Definitions)) }},
		{"expectations.yaml", func(p string) error { return writeFile(p, []byte(Expectations)) }},
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if _, err := os.Stat(path); err == nil && !o.Force {
			continue // the user's copy, perhaps edited: kept
		}
		if err := f.write(path); err != nil {
			return err
		}
	}
	return nil
}

// WriteDriverStats writes the driver stats parquet file.
func WriteDriverStats(path string, o Options) error {
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	prof := profiles(rng, o.Drivers)
	var rows []statsRow
	for d := 0; d < o.Drivers; d++ {
		p := prof[d]
		for h := 0; h < o.Hours; h++ {
			t := o.Start.Add(time.Duration(h) * time.Hour)
			conv := round(math.Min(1, math.Max(0, p.conv+0.1*rng.NormFloat64())), 6)
			acc := round(math.Min(1, math.Max(0, p.acc+0.1*rng.NormFloat64())), 6)
			trips := int64(math.Max(0, p.trips+50*rng.NormFloat64()))
			r := statsRow{Datetime: t.UnixMicro(), DriverID: int64(1001 + d),
				ConvRate: &conv, AccRate: &acc, AvgDailyTrips: &trips,
				Created: t.Add(time.Duration(5+rng.IntN(55)) * time.Minute).UnixMicro()}
			switch x := rng.IntN(200); {
			case x == 0:
				r.ConvRate = nil
			case x == 1:
				r.AccRate = nil
			case x == 2:
				r.AvgDailyTrips = nil
			}
			rows = append(rows, r)
			if rng.IntN(250) == 0 { // an exact duplicate, as exports have
				rows = append(rows, r)
			}
			if rng.IntN(150) == 0 { // a backfill: same event time, created days later
				late := r
				c := round(conv*0.9, 6)
				late.ConvRate = &c
				late.Created = t.Add(72 * time.Hour).UnixMicro()
				rows = append(rows, late)
			}
		}
	}
	// Out of order, as appends from several writers leave it.
	for i := 0; i < len(rows)/50; i++ {
		a, b := rng.IntN(len(rows)), rng.IntN(len(rows))
		rows[a], rows[b] = rows[b], rows[a]
	}
	return atomicfile.WriteWith(path, func(f *os.File) error {
		w := pq.NewGenericWriter[statsRow](f, pq.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
			pq.CreatedBy("fs demo", "1", ""))
		if _, err := w.Write(rows); err != nil {
			return err
		}
		return w.Close()
	})
}

// tripRow is a trip event: who drove it, when, its fare and distance.
type tripRow struct {
	Ts         int64    `parquet:"ts,timestamp(microsecond:utc)"`
	DriverID   int64    `parquet:"driver_id"`
	FareUSD    *float64 `parquet:"fare_usd,optional"`
	DistanceKM float64  `parquet:"distance_km"`
	Created    int64    `parquet:"created,timestamp(microsecond:utc)"`
}

// WriteTrips writes trip events, a few a day per driver as busy as its
// daily trips say (a few thousand in all): the event source the demo's
// aggregations read. A fare is sometimes missing.
func WriteTrips(path string, o Options) error {
	rng := rand.New(rand.NewPCG(o.Seed, 3))
	prof := profiles(rand.New(rand.NewPCG(o.Seed, 1)), o.Drivers)
	var rows []tripRow
	span := int64(o.Hours) * int64(time.Hour)
	for d := 0; d < o.Drivers; d++ {
		n := int(float64(o.Hours) / 24 * (4 + prof[d].trips/40))
		for range n {
			t := o.Start.Add(time.Duration(rng.Int64N(span))).Truncate(time.Second)
			km := round(1+rng.ExpFloat64()*6, 1)
			fare := round(2.5+1.6*km+rng.Float64()*3, 2)
			r := tripRow{Ts: t.UnixMicro(), DriverID: int64(1001 + d), FareUSD: &fare, DistanceKM: km,
				Created: t.Add(time.Duration(1+rng.IntN(10)) * time.Minute).UnixMicro()}
			if rng.IntN(60) == 0 {
				r.FareUSD = nil
			}
			rows = append(rows, r)
		}
	}
	return atomicfile.WriteWith(path, func(f *os.File) error {
		w := pq.NewGenericWriter[tripRow](f, pq.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
			pq.CreatedBy("fs demo", "1", ""))
		if _, err := w.Write(rows); err != nil {
			return err
		}
		return w.Close()
	})
}

// WriteOrders writes labelled orders: event_timestamp, driver_id and
// trip_completed, tab-separated like the real export. The label depends on
// the driver's current traits, so a model can learn it.
func WriteOrders(path string, o Options) error {
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	prof := profiles(rand.New(rand.NewPCG(o.Seed, 1)), o.Drivers)
	return atomicfile.WriteWith(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		fmt.Fprintln(w, "event_timestamp\tdriver_id\ttrip_completed")
		span := int64(o.Hours) * int64(time.Hour)
		for i := 0; i < o.Orders; i++ {
			d := rng.IntN(o.Drivers)
			t := o.Start.Add(time.Duration(rng.Int64N(span + int64(24*time.Hour)))).Truncate(time.Second)
			p := prof[d]
			score := 0.55*p.conv + 0.35*p.acc + 0.0002*p.trips + 0.15*rng.NormFloat64()
			label := 0
			if score > 0.5 {
				label = 1
			}
			fmt.Fprintf(w, "%s\t%d\t%d\n", t.Format("2006-01-02 15:04:05-07:00"), 1001+d, label)
		}
		return w.Flush()
	})
}

// Expectations is what the demo's training set (train.parquet) must hold,
// for fs validate.
const Expectations = `# What the demo's training set must hold: fs validate train.parquet --expect expectations.yaml
columns:
  driver_id:       {type: int64, not_null: true, allowed: [1001, 1002, 1003, 1004, 1005]}
  event_timestamp: {type: timestamp, not_null: true}
  trip_completed:  {type: int64, not_null: true, allowed: [0, 1]}
  conv_rate:       {type: float64, min: 0, max: 1, max_null_share: 0.05}
  acc_rate:        {type: float64, min: 0, max: 1, max_null_share: 0.05}
  avg_daily_trips: {type: float64, min: 0}
  trips_per_hour:  {type: float64, min: 0}
  engagement:      {type: float64}
unique: [driver_id, event_timestamp]   # no repeated combination
exact: true                            # no columns besides those listed
`

// Definitions is the demo's definition file.
const Definitions = `# The demo's feature definitions (the format: docs/definitions.md).
entities:
  - name: driver
    join_keys: [driver_id]
sources:
  - name: driver_stats
    path: driver_stats.parquet
    entity: driver
    timestamp_field: datetime
    created_timestamp_field: created
  - name: trips
    path: trips.parquet
    entity: driver
    timestamp_field: ts
    created_timestamp_field: created
features:
  - name: conv_rate
    source: driver_stats
    expr: conv_rate
    description: share of offers the driver converted
  - name: acc_rate
    source: driver_stats
    expr: acc_rate
    description: share of offers the driver accepted
  - name: avg_daily_trips
    source: driver_stats
    expr: avg_daily_trips
    type: float64
  - name: trips_per_hour
    source: driver_stats
    expr: avg_daily_trips / 24.0
    ttl: 720h
    description: trips per hour, from the daily average
  - name: engagement
    source: driver_stats
    expr: (conv_rate ?? 0) * (acc_rate ?? 0) + trips_per_hour / 100
  # Aggregations over the trip events (docs/definitions.md#aggregations).
  - name: trips_7d
    source: trips
    aggregate: count
    window: 7d
    description: trips in the 7 days before the order
  - name: fare_mean_7d
    source: trips
    expr: fare_usd
    aggregate: mean
    window: 7d
  - name: long_trips_1d
    source: trips
    aggregate: count
    window: 1d
    where: distance_km > 10
feature_sets:
  - name: driver_ranking
    features: [conv_rate, acc_rate, avg_daily_trips]
`

func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, data)
}
