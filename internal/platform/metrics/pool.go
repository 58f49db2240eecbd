package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// PoolStats is a snapshot of one database connection pool.
type PoolStats struct {
	Acquired, Idle, Max int
	Waits               int64   // acquisitions that had to wait for a connection
	WaitSeconds         float64 // time spent waiting, in total
}

// WatchPool exports the statistics of the pool named name, read at every
// scrape.
func (m *Metrics) WatchPool(name string, stats func() PoolStats) {
	m.pools.mu.Lock()
	defer m.pools.mu.Unlock()
	m.pools.names = append(m.pools.names, name)
	m.pools.stats = append(m.pools.stats, stats)
}

var (
	poolConnsDesc = prometheus.NewDesc("anirohi_db_pool_connections", "Database connections by state.", []string{"pool", "state"}, nil)
	poolMaxDesc   = prometheus.NewDesc("anirohi_db_pool_max_connections", "Most connections the pool opens.", []string{"pool"}, nil)
	poolWaitsDesc = prometheus.NewDesc("anirohi_db_pool_waits_total", "Connection acquisitions that waited for a free connection.", []string{"pool"}, nil)
	poolWaitDesc  = prometheus.NewDesc("anirohi_db_pool_wait_seconds_total", "Time spent waiting for a free connection.", []string{"pool"}, nil)
)

// poolCollector reads every watched pool at scrape time.
type poolCollector struct {
	mu    sync.Mutex
	names []string
	stats []func() PoolStats
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConnsDesc
	ch <- poolMaxDesc
	ch <- poolWaitsDesc
	ch <- poolWaitDesc
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, name := range c.names {
		s := c.stats[i]()
		ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(s.Acquired), name, "acquired")
		ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(s.Idle), name, "idle")
		ch <- prometheus.MustNewConstMetric(poolMaxDesc, prometheus.GaugeValue, float64(s.Max), name)
		ch <- prometheus.MustNewConstMetric(poolWaitsDesc, prometheus.CounterValue, float64(s.Waits), name)
		ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, s.WaitSeconds, name)
	}
}
