import Foundation
import Testing

@testable import CommsCore

@Suite struct ULIDTests {
  /// The ULID specification's example time, 1469918176385 ms, is `01ARYZ6S41`.
  let specExample = Date(timeIntervalSince1970: 1_469_918_176.385)

  @Test func theTimeAndRandomPartsAreWrittenAsBefore() {
    // Expected values from the implementation before the prefix was written
    // into the same string (SplitMix64 seeded with 7).
    var generator = SeededGenerator(state: 7)
    #expect(ULID.make(at: specExample, using: &generator) == "01ARYZ6S41QE34KCHW1ZJ7WGSR")
    #expect(
      ULID.make("dlv_", at: specExample, using: &generator) == "dlv_01ARYZ6S412GA2BX2G026DBEAW")
  }

  @Test func aPrefixedIdIsWellFormed() {
    var generator = BufferedRandom()
    let id = ULID.make("dlv_", at: Date(), using: &generator)
    #expect(DeliveryID.isWellFormed(id))
    #expect(MessageID.isWellFormed(ULID.make("msg_", at: Date(), using: &generator)))
  }

  @Test func timesOutsideFortyEightBitsAreWrittenAsTheNearestEnd() {
    var generator = SeededGenerator(state: 1)
    for date in [Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: .nan)] {
      #expect(ULID.make(at: date, using: &generator).hasPrefix("0000000000"))
    }
    for date in [
      Date.distantFuture.addingTimeInterval(1e12), Date(timeIntervalSince1970: .infinity),
    ] {
      #expect(ULID.make(at: date, using: &generator).hasPrefix("7ZZZZZZZZZ"))
    }
  }

  @Test func bufferedRandomnessGoesOnPastItsBuffer() {
    // 32 values per fetch: 1,000 values span 32 fetches, and none repeats
    // (a refill that did not happen would repeat the buffer).
    var generator = BufferedRandom()
    let values = (0..<1000).map { _ in generator.next() }
    #expect(Set(values).count == 1000)
    var other = BufferedRandom()
    #expect(other.next() != values[0])
  }
}
