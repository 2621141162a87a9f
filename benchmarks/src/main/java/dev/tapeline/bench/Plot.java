package dev.tapeline.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Line charts as PNG, drawn with Java2D: no plotting library, no display needed. */
final class Plot {

    private static final Color[] COLORS = {
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b)
    };

    private Plot() {}

    /**
     * One chart: a line per series over the same x categories (evenly spaced), y from 0.
     *
     * @param series name to one value per x tick (NaN: no point)
     */
    static void lines(
            Path file, String title, String xLabel, String yLabel, List<String> xTicks, Map<String, double[]> series)
            throws IOException {
        int width = 900;
        int height = 520;
        int left = 90;
        int right = 220;
        int top = 50;
        int bottom = 70;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double max = series.values().stream()
                .flatMapToDouble(java.util.Arrays::stream)
                .filter(v -> !Double.isNaN(v))
                .max()
                .orElse(1);
        max = niceCeiling(max <= 0 ? 1 : max * 1.05);
        int plotWidth = width - left - right;
        int plotHeight = height - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            int y = top + plotHeight - i * plotHeight / 5;
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, y, left + plotWidth, y);
            g.setColor(Color.DARK_GRAY);
            String label = String.format(Locale.ROOT, max >= 50 ? "%.0f" : "%.2f", max / 5 * i);
            g.drawString(label, left - 10 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        for (int i = 0; i < xTicks.size(); i++) {
            int x = xOf(i, xTicks.size(), left, plotWidth);
            g.drawString(xTicks.get(i), x - g.getFontMetrics().stringWidth(xTicks.get(i)) / 2, top + plotHeight + 20);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, top, left, top + plotHeight);
        g.drawLine(left, top + plotHeight, left + plotWidth, top + plotHeight);
        g.drawString(xLabel, left + plotWidth / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, height - 25);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(top + plotHeight / 2 + g.getFontMetrics().stringWidth(yLabel) / 2), 25);
        rotated.dispose();
        int s = 0;
        for (Map.Entry<String, double[]> line : series.entrySet()) {
            Color color = COLORS[s % COLORS.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(2.5f));
            double[] values = line.getValue();
            int previousX = -1;
            int previousY = -1;
            for (int i = 0; i < values.length; i++) {
                if (Double.isNaN(values[i])) {
                    previousX = -1;
                    continue;
                }
                int x = xOf(i, values.length, left, plotWidth);
                int y = top + plotHeight - (int) Math.round(values[i] / max * plotHeight);
                g.fillOval(x - 4, y - 4, 8, 8);
                if (previousX >= 0) {
                    g.drawLine(previousX, previousY, x, y);
                }
                previousX = x;
                previousY = y;
            }
            int legendY = top + 20 + s * 22;
            g.fillRect(left + plotWidth + 20, legendY - 10, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(line.getKey(), left + plotWidth + 40, legendY + 2);
            s++;
        }
        g.dispose();
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }

    private static int xOf(int i, int count, int left, int plotWidth) {
        return count == 1 ? left + plotWidth / 2 : left + 30 + i * (plotWidth - 60) / (count - 1);
    }

    /** 1, 2, 2.5 or 5 times a power of ten, at least {@code value}. */
    static double niceCeiling(double value) {
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * power >= value) {
                return step * power;
            }
        }
        return 10 * power;
    }
}
