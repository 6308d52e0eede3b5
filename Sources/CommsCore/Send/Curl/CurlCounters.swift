import Synchronization

/// What the engine thread counts, readable from any thread.
final class CurlCounters: Sendable {
  /// Easy handles made by `curl_easy_init`; with handles kept between
  /// transfers (`CurlHandles`), far fewer than the transfers.
  let easyHandlesMade = Atomic<Int>(0)
}
