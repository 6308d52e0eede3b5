import Foundation
import Testing

@testable import CommsCore

// Every instant here is built from explicit UTC or local components, so the
// tests read no system clock and never sleep.

private let copenhagen = TimeZone(identifier: "Europe/Copenhagen")!
private let karachi = TimeZone(identifier: "Asia/Karachi")!
private let nuuk = TimeZone(identifier: "America/Nuuk")!
private let utcZone = TimeZone(identifier: "UTC")!

/// An instant given as a wall-clock reading in `zone` (Copenhagen unless
/// told); only for readings that exist exactly once.
private func local(
  _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0,
  in zone: TimeZone = copenhagen
) -> Date {
  var calendar = Calendar(identifier: .gregorian)
  calendar.timeZone = zone
  let parts = DateComponents(
    year: year, month: month, day: day, hour: hour, minute: minute, second: second)
  return calendar.date(from: parts)!
}

/// An instant given in UTC.
private func utc(
  _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0
) -> Date {
  local(year, month, day, hour, minute, second, in: utcZone)
}

/// The wall-clock reading of `date` in `zone`, as `[hour, minute]`.
private func wallClock(_ date: Date, in zone: TimeZone) -> [Int] {
  var calendar = Calendar(identifier: .gregorian)
  calendar.timeZone = zone
  let parts = calendar.dateComponents([.hour, .minute], from: date)
  return [parts.hour!, parts.minute!]
}

private func minutes(_ hour: Int, _ minute: Int = 0) -> Int { hour * 60 + minute }

/// Decides with Copenhagen as the recipient's zone unless told otherwise.
private func decide(
  _ priority: Priority, _ policy: DosingPolicy = .standard, at now: Date,
  history: RecipientHistory = RecipientHistory(), in zone: TimeZone = copenhagen
) -> DosingDecision {
  Dosing().decide(priority: priority, policy: policy, timeZone: zone, now: now, history: history)
}

/// Relatives: at most 3 normal messages a day, the rest at the 16:00 digest.
private let relatives = DosingPolicy(cap: 3, digestSlots: [minutes(16)])
/// Council: no cap, a situation report at 08:00 and 16:00.
private let council = DosingPolicy(digestSlots: [minutes(16), minutes(8)])

@Suite struct QuietHoursParsingTests {
  @Test func readsTheWindowWithHyphenOrEnDash() {
    #expect(QuietHours(parsing: "22:00-07:00") == .standard)
    #expect(QuietHours(parsing: "22:00–07:00") == .standard)
    #expect(QuietHours(parsing: " 22:00 - 07:00 ") == .standard)
    #expect(QuietHours(parsing: "7:30-9:05") == QuietHours(start: 450, end: 545))
    #expect(QuietHours(parsing: "09:00-17:00") == QuietHours(start: 540, end: 1020))
    #expect(QuietHours(parsing: "00:00-23:59") == QuietHours(start: 0, end: 1439))
  }

  @Test(
    arguments: [
      "", "-", "22:00", "25:00-07:00", "24:00-07:00", "22:60-07:00", "22-07", "22:00-22:00",
      "22:0-07:00", "22:000-07:00", "22:00-07:00-08:00", "22:00--07:00", "-22:00-07:00",
      "22:00-07:00-", "22:+5-07:00", "+9:00-17:00", "22:00-7", "ab:cd-07:00", "22.00-07.00",
      "22:00-:07:00", "٢٢:00-07:00",
    ])
  func rejectsMalformedWindows(_ text: String) {
    #expect(QuietHours(parsing: text) == nil)
  }
}

@Suite struct QuietHoursWindowTests {
  @Test func overnightWindowIncludesItsStartAndExcludesItsEnd() {
    let quiet = QuietHours.standard
    #expect(!quiet.contains(local(2026, 6, 10, 21, 59, 59), in: copenhagen))
    #expect(quiet.contains(local(2026, 6, 10, 22, 0), in: copenhagen))
    #expect(quiet.contains(local(2026, 6, 11, 0, 0), in: copenhagen))
    #expect(quiet.contains(local(2026, 6, 11, 6, 59, 59), in: copenhagen))
    #expect(!quiet.contains(local(2026, 6, 11, 7, 0), in: copenhagen))
    #expect(!quiet.contains(local(2026, 6, 11, 12, 0), in: copenhagen))
  }

  @Test func daytimeWindowIncludesItsStartAndExcludesItsEnd() {
    let quiet = QuietHours(parsing: "09:00-17:00")!
    #expect(!quiet.contains(local(2026, 6, 10, 8, 59, 59), in: copenhagen))
    #expect(quiet.contains(local(2026, 6, 10, 9, 0), in: copenhagen))
    #expect(quiet.contains(local(2026, 6, 10, 16, 59, 59), in: copenhagen))
    #expect(!quiet.contains(local(2026, 6, 10, 17, 0), in: copenhagen))
    #expect(!quiet.contains(local(2026, 6, 10, 23, 0), in: copenhagen))
    #expect(!quiet.contains(local(2026, 6, 10, 3, 0), in: copenhagen))
    #expect(
      quiet.end(after: local(2026, 6, 10, 10, 0), in: copenhagen) == local(2026, 6, 10, 17, 0))
  }

  @Test func overnightWindowEndsOnTheNextMorningWhetherEnteredBeforeOrAfterMidnight() {
    let quiet = QuietHours.standard
    #expect(quiet.end(after: local(2026, 6, 10, 22, 0), in: copenhagen) == local(2026, 6, 11, 7, 0))
    #expect(quiet.end(after: local(2026, 6, 11, 3, 0), in: copenhagen) == local(2026, 6, 11, 7, 0))
  }

  @Test func nextLocalTimeIsStrictlyAfterTheGivenInstant() {
    let sevenAM = local(2026, 6, 11, 7, 0)
    #expect(
      QuietHours.next(minuteOfDay: minutes(7), after: sevenAM, in: copenhagen)
        == local(2026, 6, 12, 7, 0))
    #expect(
      QuietHours.next(
        minuteOfDay: minutes(7), after: sevenAM.addingTimeInterval(-1), in: copenhagen)
        == sevenAM)
  }

  @Test func nextLocalTimeThatDoesNotExistIsTheFirstInstantAfterTheSpringGap() {
    // 2026-03-29 02:30 does not exist in Copenhagen: 02:00 CET is 03:00 CEST (01:00Z).
    let next = QuietHours.next(
      minuteOfDay: minutes(2, 30), after: utc(2026, 3, 28, 22, 0), in: copenhagen)
    #expect(next == utc(2026, 3, 29, 1, 0))
  }

  @Test func nextLocalTimeInTheRepeatedAutumnHourIsItsFirstOccurrence() {
    // 2026-10-25 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    let before = utc(2026, 10, 24, 22, 0)
    #expect(
      QuietHours.next(minuteOfDay: minutes(2, 30), after: before, in: copenhagen)
        == utc(2026, 10, 25, 0, 30))
    let betweenThem = utc(2026, 10, 25, 1, 10)
    #expect(
      QuietHours.next(minuteOfDay: minutes(2, 30), after: betweenThem, in: copenhagen)
        == utc(2026, 10, 25, 1, 30))
  }
}

@Suite struct QuietHoursAcrossDaylightSavingTests {
  @Test func normalMessageTheEveningBeforeSpringForwardWaitsUntilSevenLocal() {
    let evening = local(2026, 3, 28, 23, 0)
    #expect(evening == utc(2026, 3, 28, 22, 0))  // still CET (+1)
    // 07:00 CEST (+2), a wall-clock hour shorter night than usual.
    #expect(decide(.normal, at: evening) == .hold(.quietHours, until: utc(2026, 3, 29, 5, 0)))
  }

  @Test func normalMessageTheEveningBeforeFallBackWaitsUntilSevenLocal() {
    let evening = local(2026, 10, 24, 23, 0)
    #expect(evening == utc(2026, 10, 24, 21, 0))  // still CEST (+2)
    // 07:00 CET (+1), a wall-clock hour longer night than usual.
    #expect(decide(.normal, at: evening) == .hold(.quietHours, until: utc(2026, 10, 25, 6, 0)))
  }

  @Test func normalMessageAtHalfPastOneOnFallBackNightWaitsUntilSevenCET() {
    let halfPastOne = utc(2026, 10, 24, 23, 30)
    #expect(wallClock(halfPastOne, in: copenhagen) == [1, 30])
    #expect(decide(.normal, at: halfPastOne) == .hold(.quietHours, until: utc(2026, 10, 25, 6, 0)))
  }

  @Test(arguments: [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)])
  func bothReadingsOfTheRepeatedHalfPastTwoWaitUntilSevenCET(_ now: Date) {
    #expect(wallClock(now, in: copenhagen) == [2, 30])
    #expect(decide(.normal, at: now) == .hold(.quietHours, until: utc(2026, 10, 25, 6, 0)))
  }

  @Test func quietHoursEndAtSevenLocalOnBothChangeDays() {
    #expect(QuietHours.standard.contains(utc(2026, 3, 29, 4, 59, 59), in: copenhagen))
    #expect(!QuietHours.standard.contains(utc(2026, 3, 29, 5, 0), in: copenhagen))
    #expect(decide(.normal, at: utc(2026, 3, 29, 5, 0)) == .sendAt(utc(2026, 3, 29, 5, 0)))
    #expect(QuietHours.standard.contains(utc(2026, 10, 25, 5, 59, 59), in: copenhagen))
    #expect(!QuietHours.standard.contains(utc(2026, 10, 25, 6, 0), in: copenhagen))
    #expect(decide(.normal, at: utc(2026, 10, 25, 6, 0)) == .sendAt(utc(2026, 10, 25, 6, 0)))
  }

  @Test func windowEndingInTheSpringGapEndsAtTheFirstInstantAfterIt() {
    let policy = DosingPolicy(quietHours: QuietHours(parsing: "22:00-02:30")!)
    #expect(
      decide(.normal, policy, at: local(2026, 3, 28, 23, 0))
        == .hold(.quietHours, until: utc(2026, 3, 29, 1, 0)))
  }
}

@Suite struct PriorityDosingTests {
  /// Every rule at once: quiet hours, a reached cap, digest slots and a gap.
  let everything = DosingPolicy(
    cap: 3, digestSlots: [minutes(8), minutes(16)], minimumGap: .seconds(1800))
  let threeAM = local(2026, 6, 10, 3, 0)

  var busyHistory: RecipientHistory {
    RecipientHistory(
      dosedInWindow: [local(2026, 6, 9, 9, 0), local(2026, 6, 9, 12, 0), local(2026, 6, 9, 16, 0)],
      lastMessageAt: local(2026, 6, 10, 2, 55))
  }

  @Test func flashMessageAtThreeGoesAtOnceDespiteEveryRule() {
    #expect(decide(.flash, everything, at: threeAM, history: busyHistory) == .sendAt(threeAM))
  }

  @Test func flashMessageGoesAtOnceOnTheNightsOfBothChanges() {
    for now in [utc(2026, 3, 29, 1, 0), utc(2026, 10, 25, 2, 0)] {
      #expect(decide(.flash, everything, at: now, history: busyHistory) == .sendAt(now))
    }
  }

  @Test func urgentMessageAtThreeWaitsOutQuietHours() {
    #expect(decide(.urgent, at: threeAM) == .hold(.quietHours, until: local(2026, 6, 10, 7, 0)))
  }

  @Test func urgentMessageAtThreeGoesAtOnceWhenPolicyAllowsUrgentInQuietHours() {
    let policy = DosingPolicy(urgentInQuietHours: true)
    #expect(decide(.urgent, policy, at: threeAM) == .sendAt(threeAM))
  }

  @Test func urgentMessageAtThreeGoesAtOnceForAnAudienceWithoutQuietHours() {
    let police = DosingPolicy(quietHours: nil)
    #expect(decide(.urgent, police, at: threeAM) == .sendAt(threeAM))
  }

  @Test func urgentMessageIsNeitherCappedNorDigested() {
    let noon = local(2026, 6, 10, 12, 0)
    let history = RecipientHistory(
      dosedInWindow: [
        local(2026, 6, 10, 8, 0), local(2026, 6, 10, 9, 0), local(2026, 6, 10, 10, 0),
      ])
    #expect(decide(.urgent, everything, at: noon, history: history) == .sendAt(noon))
    #expect(
      decide(.urgent, council, at: local(2026, 6, 10, 9, 0)) == .sendAt(local(2026, 6, 10, 9, 0)))
  }

  @Test func normalMessageAtElevenInTheEveningGoesAtSevenNextMorning() {
    #expect(
      decide(.normal, at: local(2026, 6, 10, 23, 0))
        == .hold(.quietHours, until: local(2026, 6, 11, 7, 0)))
  }

  @Test func normalMessageAtNoonGoesAtOnce() {
    let noon = local(2026, 6, 10, 12, 0)
    #expect(decide(.normal, at: noon) == .sendAt(noon))
  }

  @Test func bulkMessageIsDosedLikeNormal() {
    let noon = local(2026, 6, 10, 12, 0)
    #expect(decide(.bulk, at: noon) == .sendAt(noon))
    #expect(
      decide(.bulk, at: local(2026, 6, 10, 23, 0))
        == .hold(.quietHours, until: local(2026, 6, 11, 7, 0)))
  }
}

@Suite struct CapDosingTests {
  @Test func thirdNormalMessageOfTheDayToARelativeGoesAtOnce() {
    let now = local(2026, 6, 10, 10, 0)
    let history = RecipientHistory(dosedInWindow: [
      local(2026, 6, 10, 7, 0), local(2026, 6, 10, 8, 0),
    ])
    #expect(decide(.normal, relatives, at: now, history: history) == .sendAt(now))
  }

  @Test func fourthNormalMessageBeforeFourWaitsForTodaysDigest() {
    let history = RecipientHistory(
      dosedInWindow: [
        local(2026, 6, 10, 7, 0), local(2026, 6, 10, 8, 0), local(2026, 6, 10, 9, 30),
      ])
    #expect(
      decide(.normal, relatives, at: local(2026, 6, 10, 10, 0), history: history)
        == .hold(.capToDigest, until: local(2026, 6, 10, 16, 0)))
  }

  @Test func fourthNormalMessageAfterFourWaitsForTomorrowsDigest() {
    let history = RecipientHistory(
      dosedInWindow: [
        local(2026, 6, 10, 9, 0), local(2026, 6, 10, 16, 0), local(2026, 6, 10, 17, 0),
      ])
    #expect(
      decide(.normal, relatives, at: local(2026, 6, 10, 18, 0), history: history)
        == .hold(.capToDigest, until: local(2026, 6, 11, 16, 0)))
  }

  @Test func fourthBulkMessageIsCappedToo() {
    let history = RecipientHistory(
      dosedInWindow: [
        local(2026, 6, 10, 7, 0), local(2026, 6, 10, 8, 0), local(2026, 6, 10, 9, 30),
      ])
    #expect(
      decide(.bulk, relatives, at: local(2026, 6, 10, 10, 0), history: history)
        == .hold(.capToDigest, until: local(2026, 6, 10, 16, 0)))
  }

  @Test func withoutDigestSlotsTheFourthWaitsUntilTheOldestLeavesTheWindow() {
    let policy = DosingPolicy(cap: 3)
    let history = RecipientHistory(
      dosedInWindow: [
        local(2026, 6, 10, 8, 0), local(2026, 6, 10, 10, 0), local(2026, 6, 10, 11, 0),
      ])
    #expect(
      decide(.normal, policy, at: local(2026, 6, 10, 12, 0), history: history)
        == .hold(.cap, until: local(2026, 6, 11, 8, 0)))
  }

  @Test func overfullWindowWaitsUntilEnoughHaveLeftItToMakeRoom() {
    // Four in the window with a cap of three: two must leave before a fifth fits.
    let policy = DosingPolicy(cap: 3, capWindow: .seconds(3600))
    let history = RecipientHistory(dosedInWindow: [
      local(2026, 6, 10, 11, 10), local(2026, 6, 10, 11, 20), local(2026, 6, 10, 11, 30),
      local(2026, 6, 10, 11, 40),
    ])
    #expect(
      decide(.normal, policy, at: local(2026, 6, 10, 11, 45), history: history)
        == .hold(.cap, until: local(2026, 6, 10, 12, 20)))
  }

  @Test func capReleaseThatWouldFallInQuietHoursAfterFallBackWaitsUntilSeven() {
    // Three released at 07:00 CEST on Saturday; 24 h later it is 06:00 CET on
    // Sunday, still quiet hours, so the fourth waits until 07:00 CET.
    let sevenSaturday = local(2026, 10, 24, 7, 0)
    let policy = DosingPolicy(cap: 3)
    let history = RecipientHistory(dosedInWindow: [sevenSaturday, sevenSaturday, sevenSaturday])
    #expect(
      decide(.normal, policy, at: local(2026, 10, 24, 12, 0), history: history)
        == .hold(.quietHours, until: utc(2026, 10, 25, 6, 0)))
  }

  @Test func capReleaseThatWouldFallInQuietHoursAfterSpringForwardWaitsUntilSeven() {
    // 21:30 CET on Saturday plus 24 h is 22:30 CEST on Sunday: quiet hours.
    let policy = DosingPolicy(cap: 3)
    let history = RecipientHistory(dosedInWindow: [
      local(2026, 3, 28, 21, 30), local(2026, 3, 28, 21, 40), local(2026, 3, 28, 21, 45),
    ])
    #expect(
      decide(.normal, policy, at: local(2026, 3, 28, 21, 50), history: history)
        == .hold(.quietHours, until: utc(2026, 3, 30, 5, 0)))
  }

  @Test func capReleaseStillKeepsTheMinimumGap() {
    let policy = DosingPolicy(cap: 1, capWindow: .seconds(3600), minimumGap: .seconds(7200))
    let last = local(2026, 6, 10, 12, 0)
    let history = RecipientHistory(dosedInWindow: [last], lastMessageAt: last)
    #expect(
      decide(.normal, policy, at: local(2026, 6, 10, 12, 10), history: history)
        == .hold(.minimumGap, until: local(2026, 6, 10, 14, 0)))
  }

  @Test func capOfZeroDoesNotTrapAndCountsAsOne() {
    let policy = DosingPolicy(cap: 0)
    let now = local(2026, 6, 10, 12, 0)
    #expect(decide(.normal, policy, at: now) == .sendAt(now))
    let history = RecipientHistory(dosedInWindow: [local(2026, 6, 10, 9, 0)])
    #expect(
      decide(.normal, policy, at: now, history: history)
        == .hold(.cap, until: local(2026, 6, 11, 9, 0)))
  }
}

@Suite struct DigestDosingTests {
  @Test func normalMessageAtNineWaitsForTheFourOClockDigest() {
    #expect(
      decide(.normal, council, at: local(2026, 6, 10, 9, 0))
        == .hold(.digest, until: local(2026, 6, 10, 16, 0)))
  }

  @Test func normalMessageAtFiveWaitsForTomorrowsEightOClockDigest() {
    #expect(
      decide(.normal, council, at: local(2026, 6, 10, 17, 0))
        == .hold(.digest, until: local(2026, 6, 11, 8, 0)))
  }

  @Test func normalMessageInQuietHoursWaitsForTheMorningDigest() {
    #expect(
      decide(.normal, council, at: local(2026, 6, 10, 23, 0))
        == .hold(.digest, until: local(2026, 6, 11, 8, 0)))
    #expect(
      decide(.normal, council, at: local(2026, 6, 11, 7, 30))
        == .hold(.digest, until: local(2026, 6, 11, 8, 0)))
  }

  @Test func bulkMessageIsDigestedToo() {
    #expect(
      decide(.bulk, council, at: local(2026, 6, 10, 9, 0))
        == .hold(.digest, until: local(2026, 6, 10, 16, 0)))
    #expect(
      decide(.bulk, council, at: local(2026, 6, 10, 17, 0))
        == .hold(.digest, until: local(2026, 6, 11, 8, 0)))
  }

  @Test func urgentAndFlashMessagesAreNotDigested() {
    let nine = local(2026, 6, 10, 9, 0)
    #expect(decide(.urgent, council, at: nine) == .sendAt(nine))
    #expect(decide(.flash, council, at: nine) == .sendAt(nine))
  }

  @Test func digestSlotsFollowTheLocalClockAcrossBothChanges() {
    // 08:00 CEST (06:00Z) after spring forward, 08:00 CET (07:00Z) after fall back.
    #expect(
      decide(.normal, council, at: local(2026, 3, 28, 17, 0))
        == .hold(.digest, until: utc(2026, 3, 29, 6, 0)))
    #expect(
      decide(.normal, council, at: local(2026, 10, 24, 17, 0))
        == .hold(.digest, until: utc(2026, 10, 25, 7, 0)))
  }

  @Test func nextDigestSlotIsTheEarliestOfTheSlotsStillAhead() {
    let dosing = Dosing()
    #expect(
      dosing.nextDigestSlot(council, after: local(2026, 6, 10, 7, 59), in: copenhagen)
        == local(2026, 6, 10, 8, 0))
    #expect(
      dosing.nextDigestSlot(council, after: local(2026, 6, 10, 8, 0), in: copenhagen)
        == local(2026, 6, 10, 16, 0))
    #expect(
      dosing.nextDigestSlot(council, after: local(2026, 6, 10, 16, 0), in: copenhagen)
        == local(2026, 6, 11, 8, 0))
    #expect(
      dosing.nextDigestSlot(.standard, after: local(2026, 6, 10, 9, 0), in: copenhagen) == nil)
  }
}

@Suite struct MinimumGapDosingTests {
  let halfHourGap = DosingPolicy(minimumGap: .seconds(1800))

  @Test func messageTenMinutesAfterTheLastWaitsOutTheGap() {
    let history = RecipientHistory(lastMessageAt: local(2026, 6, 10, 12, 0))
    #expect(
      decide(.normal, halfHourGap, at: local(2026, 6, 10, 12, 10), history: history)
        == .hold(.minimumGap, until: local(2026, 6, 10, 12, 30)))
  }

  @Test func messageExactlyAGapAfterTheLastGoesAtOnce() {
    let history = RecipientHistory(lastMessageAt: local(2026, 6, 10, 12, 0))
    let now = local(2026, 6, 10, 12, 30)
    #expect(decide(.normal, halfHourGap, at: now, history: history) == .sendAt(now))
  }

  @Test func gapEndingInQuietHoursWaitsUntilSevenInstead() {
    let history = RecipientHistory(lastMessageAt: local(2026, 6, 10, 21, 50))
    #expect(
      decide(.normal, halfHourGap, at: local(2026, 6, 10, 21, 55), history: history)
        == .hold(.quietHours, until: local(2026, 6, 11, 7, 0)))
  }
}

@Suite struct RecipientTimeZoneDosingTests {
  @Test func recipientInKarachiGetsQuietHoursInKarachi() {
    // 18:00Z is 23:00 in Karachi (+5, no daylight saving) but 20:00 in Copenhagen.
    let now = utc(2026, 6, 10, 18, 0)
    #expect(
      decide(.normal, at: now, in: karachi) == .hold(.quietHours, until: utc(2026, 6, 11, 2, 0)))
    #expect(decide(.normal, at: now, in: copenhagen) == .sendAt(now))
    // 03:00Z is 08:00 in Karachi but 05:00 in Copenhagen.
    let morning = utc(2026, 6, 11, 3, 0)
    #expect(decide(.normal, at: morning, in: karachi) == .sendAt(morning))
    #expect(
      decide(.normal, at: morning, in: copenhagen)
        == .hold(.quietHours, until: utc(2026, 6, 11, 5, 0)))
  }

  @Test func recipientInNuukGetsQuietHoursInNuuk() {
    // Nuuk's offset has changed in recent tz releases, so the expectation is
    // the Nuuk wall clock rather than a fixed UTC instant.
    let now = local(2026, 6, 10, 23, 0, in: nuuk)
    #expect(
      decide(.normal, at: now, in: nuuk)
        == .hold(.quietHours, until: local(2026, 6, 11, 7, 0, in: nuuk)))
    // 21:00 in Nuuk is after midnight in Copenhagen, yet not quiet for this recipient.
    let evening = local(2026, 6, 10, 21, 0, in: nuuk)
    #expect(QuietHours.standard.contains(evening, in: copenhagen))
    #expect(decide(.normal, at: evening, in: nuuk) == .sendAt(evening))
  }

  @Test func digestSlotsAreInTheRecipientsZone() {
    #expect(
      decide(.normal, council, at: utc(2026, 6, 10, 12, 0), in: karachi)
        == .hold(.digest, until: utc(2026, 6, 11, 3, 0)))
  }
}
