#if canImport(Glibc)
  import Glibc
#endif

/// The system's random numbers, fetched 256 bytes at a time.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` call per 64-bit
/// value. A delivery id takes two values, so a plan of 100,000 deliveries
/// made 200,000 system calls, about 2 µs per planned delivery in a profile
/// (issue 25, `Benchmarks/NOTES.md`). This generator draws from the same
/// source (glibc's `arc4random_buf` is `getrandom`) and is as unpredictable;
/// it only makes one call per 32 values.
///
/// For ids and jitter made in bulk. Keys and salts take
/// `SystemRandomNumberGenerator`, so that no key material waits in a buffer.
struct BufferedRandom: RandomNumberGenerator {
  private var values = [UInt64](repeating: 0, count: 32)
  private var index = 32

  init() {}

  mutating func next() -> UInt64 {
    if index == values.count {
      values.withUnsafeMutableBytes { bytes in
        guard let base = bytes.baseAddress else { return }
        arc4random_buf(base, bytes.count)
      }
      index = 0
    }
    defer { index += 1 }
    return values[index]
  }
}
