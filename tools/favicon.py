"""Draw the site's icon (static/favicon.ico): 知 in white on the brand's blue.

python tools/favicon.py   # needs fonts-noto-cjk; the .ico is committed
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = (23, 66, 122)
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
TARGET = Path(__file__).resolve().parent.parent / "seminar_app" / "static" / "favicon.ico"


def draw(size: int = 256) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(image)
    canvas.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=BRAND)
    font = ImageFont.truetype(FONT, int(size * 0.72), index=0)
    canvas.text((size / 2, size / 2), "知", font=font, fill="white", anchor="mm")
    return image


if __name__ == "__main__":
    draw().save(TARGET, sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"wrote {TARGET}")
