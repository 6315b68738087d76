"""Fonts, colours and the one stylesheet; large-text mode scales all of them together."""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 10.5
CJK_FAMILIES = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "SimHei",
)

AMBER = QColor("#8a5300")
AMBER_BG = QColor("#fff1d6")
RED = QColor("#b3261e")
RED_BG = QColor("#fde4e1")
GREEN = QColor("#1e6b35")
MUTED = QColor("#5f6b7a")
ACCENT = "#1f5f99"
TRACK_COLORS = {
    "not_accepted": "#6b6b6b",
    "refer": "#1f5f99",
    "joint": "#2e7d32",
    "major": "#b3261e",
    "submit_city": "#8a5300",
}


def cjk_family() -> str:
    """The first installed Chinese UI font; on a PC without one, the font the app ships."""
    families = set(QFontDatabase.families())
    for name in CJK_FAMILIES:
        if name in families:
            return name
    from station_app.resources import resource_path

    font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", "wqy-microhei.ttc")))
    loaded = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    return loaded[0] if loaded else QApplication.font().family()


def stylesheet(scale: float) -> str:
    def pt(size: float) -> str:
        return f"{size * scale:.1f}pt"

    return f"""
    QWidget {{ font-size: {pt(BASE_POINT_SIZE)}; }}
    QLabel#h1 {{ font-size: {pt(17)}; font-weight: bold; color: #1b2a3a; }}
    QLabel#h2 {{ font-size: {pt(13)}; font-weight: bold; color: #1b2a3a; }}
    QLabel#muted {{ color: #5f6b7a; }}
    QLabel#error {{ color: #b3261e; font-size: {pt(9.5)}; }}
    QLabel#hint {{ color: #8a5300; font-size: {pt(9.5)}; }}
    QLabel#big {{ font-size: {pt(22)}; font-weight: bold; }}
    QLabel#banner {{ background: #fff1d6; border: 1px solid #e8c37a; border-radius: 4px; padding: 6px; }}
    QLabel#success {{ background: #e3f2e6; border: 1px solid #8cc49a; border-radius: 4px; padding: 8px; }}
    QListWidget#nav {{ background: #1f3349; color: #e8eef5; border: none; outline: none;
                       font-size: {pt(12)}; }}
    QListWidget#nav::item {{ padding: {8 * scale:.0f}px {12 * scale:.0f}px; }}
    QListWidget#nav::item:selected {{ background: #1f5f99; color: white; }}
    QPushButton {{ padding: {4 * scale:.0f}px {12 * scale:.0f}px; }}
    QPushButton#primary {{ background: #1f5f99; color: white; border: 1px solid #174a78; border-radius: 3px;
                          padding: {6 * scale:.0f}px {16 * scale:.0f}px; font-weight: bold; }}
    QPushButton#primary:disabled {{ background: #9bb3c9; }}
    QPushButton#tile {{ text-align: left; padding: {12 * scale:.0f}px; border: 1px solid #c9d3de;
                       border-radius: 6px; background: white; }}
    QPushButton#tile:hover {{ border-color: #1f5f99; }}
    QLabel#figure {{ background: white; border: 1px solid #c9d3de; border-radius: 6px; padding: {8 * scale:.0f}px; }}
    QFrame#panel {{ background: #f4f7fa; border: 1px solid #d5dde6; border-radius: 6px; }}
    QFrame#lock {{ background: #1f3349; }}
    QLabel#lock_title {{ color: white; font-size: {pt(20)}; font-weight: bold; }}
    QLabel#lock_text {{ color: #e8eef5; }}
    QStatusBar QLabel {{ padding: 0 8px; }}
    QCheckBox::indicator, QRadioButton::indicator {{ width: {13 * scale:.0f}px; height: {13 * scale:.0f}px; }}
    QListWidget#kinds::item {{ padding: {5 * scale:.0f}px; }}
    """


def apply_theme(app: QApplication, scale: float = 1.0) -> None:
    """Set the Chinese UI font and the stylesheet at `scale` (1.0 normal, >1 large text)."""
    scale = min(max(float(scale), 0.8), 2.0)
    font = QFont(cjk_family())
    font.setPointSizeF(BASE_POINT_SIZE * scale)
    app.setFont(font)
    app.setStyleSheet(stylesheet(scale))
    app.setProperty("font_scale", scale)


def current_scale() -> float:
    app = QApplication.instance()
    value = app.property("font_scale") if app is not None else None
    return float(value) if value else 1.0


def install_translator(app: QApplication) -> None:
    """Qt's own texts (OK/Cancel, context menus, print dialog) in Simplified Chinese."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
