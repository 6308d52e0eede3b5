/// The deliveries handed to the transport and not finished yet, each in a
/// numbered place: a transfer takes a place when it is ordered and gives it
/// back by its number when it ends, so neither hashes the delivery's id.
/// A set of ids hashed each 26-character id twice per delivery: its inserts
/// and removals were 0.7 % of a webhook flood's samples (issue 25).
struct InFlightDeliveries: Sendable {
  private var places: [DeliveryID?] = []
  private var free: [Int] = []

  /// How many are in flight.
  var count: Int { places.count - free.count }

  /// Keeps `id` and returns its place, for `remove(at:)`.
  mutating func insert(_ id: DeliveryID) -> Int {
    if let place = free.popLast() {
      places[place] = id
      return place
    }
    places.append(id)
    return places.count - 1
  }

  /// Forgets the delivery in `place`; a place already free stays free.
  mutating func remove(at place: Int) {
    guard places.indices.contains(place), places[place] != nil else { return }
    places[place] = nil
    free.append(place)
  }

  /// The ids kept now (for lease renewal, every half lease).
  var ids: Set<DeliveryID> { Set(places.lazy.compactMap { $0 }) }
}
