// Metrics recorded on the hot path, once or more per request. prom-client hashes and
// validates the label object on every observe and inc; here a caller holds a child per
// label set (made once) that adds to plain numbers, and prom-client reads those numbers
// when it is scraped (the metric's collect hook writes its series). Output and names are
// prom-client's own: the series are the same as observe/inc would have made.
import {
  Counter,
  type CounterConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';

// The series a prom-client metric prints, kept by label hash (its internal map: the one
// place this module leans on prom-client 15's internals; observability tests read the
// output, so a change there fails them).
type Series = Record<string, unknown>;
type WithSeries = { hashMap: Series };

export interface HotCounterChild {
  inc(by?: number): void;
}

export interface HotHistogramChild {
  observe(value: number): void;
}

/** A Counter whose children count in plain numbers; `child(labels)` once per label set. */
export function hotCounter<L extends string>(config: CounterConfiguration<L>) {
  const children = new Map<string, { labels: LabelValues<L>; value: number }>();
  new Counter<L>({
    ...config,
    collect(this: Counter<L>) {
      const series = (this as unknown as WithSeries).hashMap;
      for (const [key, { labels, value }] of children) series[key] = { labels, value };
    },
  });
  return {
    child(labels: LabelValues<L>): HotCounterChild {
      const key = JSON.stringify(labels);
      let entry = children.get(key);
      if (!entry) {
        entry = { labels, value: 0 };
        children.set(key, entry);
      }
      const counted = entry;
      return {
        inc(by = 1) {
          counted.value += by;
        },
      };
    },
  };
}

/** A Histogram whose children observe into plain numbers; `child(labels)` once per set. */
export function hotHistogram<L extends string>(
  config: HistogramConfiguration<L> & { buckets: number[] },
) {
  const bounds = [...config.buckets].sort((a, b) => a - b);
  interface Tally {
    labels: LabelValues<L>;
    /** observations per bucket, not cumulative; the last is above every bound */
    counts: Float64Array;
    sum: number;
    count: number;
  }
  const children = new Map<string, Tally>();
  new Histogram<L>({
    ...config,
    buckets: bounds,
    collect(this: Histogram<L>) {
      const series = (this as unknown as WithSeries).hashMap;
      for (const [key, { labels, counts, sum, count }] of children) {
        const bucketValues: Record<number, number> = {};
        bounds.forEach((bound, i) => {
          bucketValues[bound] = counts[i] as number;
        });
        series[key] = { labels, bucketValues, sum, count };
      }
    },
  });
  return {
    child(labels: LabelValues<L>): HotHistogramChild {
      const key = JSON.stringify(labels);
      let tally = children.get(key);
      if (!tally) {
        tally = { labels, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
        children.set(key, tally);
      }
      const observed = tally;
      return {
        observe(value: number) {
          let i = 0;
          while (i < bounds.length && value > (bounds[i] as number)) i++;
          observed.counts[i] = (observed.counts[i] as number) + 1;
          observed.sum += value;
          observed.count += 1;
        },
      };
    },
  };
}

/** Children looked up by a string key, each made on its first use. */
export function childrenByKey<C>(make: (key: string) => C): (key: string) => C {
  const made = new Map<string, C>();
  return (key) => {
    let child = made.get(key);
    if (child === undefined) {
      child = make(key);
      made.set(key, child);
    }
    return child;
  };
}
