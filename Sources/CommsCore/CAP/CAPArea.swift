/// An `<area>` of an info: where the event applies. Coordinates are WGS 84
/// degrees; altitude and ceiling are feet above mean sea level.
public struct CAPArea: Sendable, Hashable {
  public var areaDesc: String
  public var polygons: [CAPPolygon]
  public var circles: [CAPCircle]
  /// Geographic codes, e.g. SAME "006109" or a FIPS or postal code.
  public var geocodes: [CAPNamedValue]
  public var altitude: Double?
  /// The upper limit; CAP allows it only together with `altitude`.
  public var ceiling: Double?

  public init(
    areaDesc: String, polygons: [CAPPolygon] = [], circles: [CAPCircle] = [],
    geocodes: [CAPNamedValue] = [], altitude: Double? = nil, ceiling: Double? = nil
  ) {
    self.areaDesc = areaDesc
    self.polygons = polygons
    self.circles = circles
    self.geocodes = geocodes
    self.altitude = altitude
    self.ceiling = ceiling
  }
}

/// A point, written `latitude,longitude` in CAP.
public struct CAPPoint: Sendable, Hashable {
  public var latitude: Double
  public var longitude: Double

  public init(latitude: Double, longitude: Double) {
    self.latitude = latitude
    self.longitude = longitude
  }
}

/// A closed polygon: at least four points, the last equal to the first.
public struct CAPPolygon: Sendable, Hashable {
  public var points: [CAPPoint]

  public init(points: [CAPPoint]) { self.points = points }
}

/// A circle: a centre and a radius in kilometres (0 for a point).
public struct CAPCircle: Sendable, Hashable {
  public var center: CAPPoint
  public var radius: Double

  public init(center: CAPPoint, radius: Double) {
    self.center = center
    self.radius = radius
  }
}
