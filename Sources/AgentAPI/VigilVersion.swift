/// Vigil's version: reported in node records and by `vigil --version`.
public enum VigilVersion {
    public static let current = "0.1.0"
}
