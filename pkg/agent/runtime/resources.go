package runtime

// CPU and memory mapping as the kubelet does it (pkg/kubelet/cm/helpers_linux.go).
const (
	// MinShares is the smallest cpu.shares value; a container without CPU
	// request gets it.
	MinShares = 2
	// MaxShares is the largest cpu.shares value.
	MaxShares = 262144
	// SharesPerCPU is the cpu.shares of one CPU (1000 millicores).
	SharesPerCPU = 1024
	// QuotaPeriod is the CFS period in microseconds (100 ms).
	QuotaPeriod = 100000
	// MinQuota is the smallest CFS quota the kernel accepts, in microseconds.
	MinQuota = 1000

	milliCPUPerCPU = 1000
)

// MilliCPUToShares converts a CPU request in millicores to cpu.shares:
// millis*1024/1000, at least MinShares and at most MaxShares.
func MilliCPUToShares(milliCPU int64) uint64 {
	if milliCPU <= 0 {
		return MinShares
	}
	shares := milliCPU * SharesPerCPU / milliCPUPerCPU
	if shares < MinShares {
		return MinShares
	}
	if shares > MaxShares {
		return MaxShares
	}
	return uint64(shares)
}

// MilliCPUToQuota converts a CPU limit in millicores to a CFS quota for period
// (microseconds): millis*period/1000, at least MinQuota. A limit of 0 means no
// limit and gives 0.
func MilliCPUToQuota(milliCPU int64, period uint64) int64 {
	if milliCPU <= 0 || period == 0 {
		return 0
	}
	quota := milliCPU * int64(period) / milliCPUPerCPU
	if quota < MinQuota {
		return MinQuota
	}
	return quota
}

// ResourcesFor maps a container's CPU request and limit (millicores) and memory
// limit (bytes) to cgroup settings. Zero means unset. As in the kubelet, the
// shares come from the request, or from the limit when only a limit is set, and
// are MinShares when neither is; the quota comes from the limit.
func ResourcesFor(cpuRequestMilli, cpuLimitMilli, memoryLimitBytes int64) Resources {
	var r Resources
	if cpuRequestMilli == 0 && cpuLimitMilli > 0 {
		r.CPUShares = MilliCPUToShares(cpuLimitMilli)
	} else {
		r.CPUShares = MilliCPUToShares(cpuRequestMilli)
	}
	if cpuLimitMilli > 0 {
		r.CPUPeriod = QuotaPeriod
		r.CPUQuota = MilliCPUToQuota(cpuLimitMilli, QuotaPeriod)
	}
	if memoryLimitBytes > 0 {
		r.MemoryLimit = memoryLimitBytes
	}
	return r
}
