import Foundation

extension String {
  /// `trimmingCharacters(in: set)`, the same result (`TrimmedTests` holds
  /// them equal), without Foundation's work when there is nothing to trim,
  /// which is nearly always: on the intake's path it was 1.5 % of the
  /// daemon's CPU in an API flood (NOTES.md, eleventh pass).
  func trimmed(_ set: CharacterSet) -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !set.contains($0) }),
      let last = scalars.lastIndex(where: { !set.contains($0) })
    else { return "" }
    if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return self }
    return String(scalars[first...last])
  }

  /// Whether nothing is left once `set` is trimmed: the first scalar
  /// outside it answers, so a long body costs nothing.
  func isBlank(_ set: CharacterSet) -> Bool {
    !unicodeScalars.contains { !set.contains($0) }
  }
}
