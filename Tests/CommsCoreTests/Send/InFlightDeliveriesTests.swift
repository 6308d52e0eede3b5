import Testing

@testable import CommsCore

/// The dispatcher's transfers in flight, kept in numbered places
/// (`InFlightDeliveries`), against a set of ids doing the same.
@Suite struct InFlightDeliveriesTests {
  @Test func aPlaceGivenBackIsTakenAgainAndItsIdIsGone() {
    var inFlight = InFlightDeliveries()
    let first = inFlight.insert(DeliveryID(rawValue: "a"))
    let second = inFlight.insert(DeliveryID(rawValue: "b"))
    #expect(first != second)
    inFlight.remove(at: first)
    #expect(inFlight.ids == [DeliveryID(rawValue: "b")])
    #expect(inFlight.insert(DeliveryID(rawValue: "c")) == first)
    #expect(inFlight.ids == [DeliveryID(rawValue: "b"), DeliveryID(rawValue: "c")])
    #expect(inFlight.count == 2)
  }

  @Test func removingAFreePlaceOrAnUnknownOneChangesNothing() {
    var inFlight = InFlightDeliveries()
    let place = inFlight.insert(DeliveryID(rawValue: "a"))
    inFlight.remove(at: place)
    inFlight.remove(at: place)
    inFlight.remove(at: 7)
    inFlight.remove(at: -1)
    #expect(inFlight.count == 0)
    #expect(inFlight.ids.isEmpty)
    // The place was freed once, so it is handed out once.
    let again = inFlight.insert(DeliveryID(rawValue: "b"))
    #expect(inFlight.insert(DeliveryID(rawValue: "c")) != again)
  }

  /// Seeded: 20,000 starts and ends in random order, with up to 300 in
  /// flight; after each, the ids and the count are those of a set.
  @Test func followsASetOfIdsOverSeededStartsAndEnds() {
    var random = SeededGenerator(state: 0x1F_F11E)
    var inFlight = InFlightDeliveries()
    var model: Set<DeliveryID> = []
    var running: [(id: DeliveryID, place: Int)] = []
    for step in 0..<20_000 {
      let start = running.isEmpty || (running.count < 300 && Bool.random(using: &random))
      if start {
        let id = DeliveryID(rawValue: "dlv_\(step)")
        running.append((id, inFlight.insert(id)))
        model.insert(id)
      } else {
        let ended = running.remove(at: Int.random(in: 0..<running.count, using: &random))
        inFlight.remove(at: ended.place)
        model.remove(ended.id)
      }
      #expect(inFlight.count == model.count)
      if step % 97 == 0 { #expect(inFlight.ids == model) }
    }
    #expect(inFlight.ids == model)
  }
}
