package io.caas.engine.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * A zip of class folders holding images ("cat/001.png"), as torchvision's ImageFolder expects. Classes are the
 * folder names in sorted order, so the same archive always gives the same label numbers.
 */
final class ImageFolderReader {

    private record Image(String path, int channels, int height, int width, float[] chw) {
    }

    private ImageFolderReader() {
    }

    static Dataset read(Path zip, DatasetLimits limits) throws IOException {
        List<Image> images = new ArrayList<>();
        long[] floats = {0};
        Archives.forEachEntry(zip, limits, (name, content) -> {
            if (ignored(name)) {
                return;
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (!(lower.endsWith(".png") || lower.endsWith(".jpg") || lower.endsWith(".jpeg"))) {
                throw new DatasetFormatException("'" + name + "' is not a PNG or JPEG image; an image-folder zip "
                        + "holds only class folders of images");
            }
            Image img = decode(name, content, limits);
            floats[0] += img.chw().length;
            limits.checkFloats(floats[0], "the images together");
            images.add(img);
        });
        if (images.isEmpty()) {
            throw new DatasetFormatException(zip.getFileName() + " holds no images");
        }
        images.sort(Comparator.comparing(Image::path));
        int depthToClass = commonRoot(images) ? 1 : 0;
        TreeSet<String> classNames = new TreeSet<>();
        for (Image img : images) {
            String[] parts = img.path().split("/");
            if (parts.length < depthToClass + 2) {
                throw new DatasetFormatException("'" + img.path() + "' is not inside a class folder");
            }
            classNames.add(parts[depthToClass]);
        }
        List<String> classes = new ArrayList<>(classNames);
        Image first = images.get(0);
        int channels = images.stream().mapToInt(Image::channels).max().orElse(1);
        int per = channels * first.height() * first.width();
        float[] features = new float[Math.multiplyExact(per, images.size())];
        int[] labels = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            Image img = images.get(i);
            if (img.height() != first.height() || img.width() != first.width()) {
                throw new DatasetFormatException("images must all have one size: '" + first.path() + "' is "
                        + first.width() + "x" + first.height() + " but '" + img.path() + "' is " + img.width() + "x"
                        + img.height());
            }
            int plane = img.height() * img.width();
            for (int c = 0; c < channels; c++) {
                // A greyscale image among colour ones is repeated over the channels.
                System.arraycopy(img.chw(), (img.channels() == 1 ? 0 : c) * plane, features, i * per + c * plane, plane);
            }
            labels[i] = classes.indexOf(img.path().split("/")[depthToClass]);
        }
        return new Dataset(zip.getFileName().toString(), new long[] {channels, first.height(), first.width()},
                features, labels, classes.size());
    }

    private static boolean ignored(String name) {
        for (String part : name.split("/")) {
            if (part.startsWith(".") || part.equals("__MACOSX")) {
                return true;
            }
        }
        return false;
    }

    /** "dataset/cat/1.png" zipped from the parent folder: one root holding the class folders. */
    private static boolean commonRoot(List<Image> images) {
        String root = null;
        for (Image img : images) {
            String[] parts = img.path().split("/");
            if (parts.length < 3 || (root != null && !root.equals(parts[0]))) {
                return false;
            }
            root = parts[0];
        }
        return true;
    }

    private static Image decode(String name, InputStream content, DatasetLimits limits) throws IOException {
        byte[] bytes = content.readAllBytes();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new DatasetFormatException("'" + name + "' is not a readable image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                // Decided from the header: a 100000x100000 PNG is a few KB compressed and 40 GB decoded.
                if ((long) w * h > limits.maxImagePixels()) {
                    throw new DatasetFormatException("'" + name + "' is " + w + "x" + h + " pixels, over the limit of "
                            + limits.maxImagePixels());
                }
                return toChw(name, reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DatasetFormatException d) {
                throw d;
            }
            throw new DatasetFormatException("'" + name + "' cannot be decoded: " + e.getMessage(), e);
        }
    }

    private static Image toChw(String name, BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        if (img.getColorModel().getNumColorComponents() == 1) {
            Raster r = img.getRaster();
            float max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            float[] out = new float[plane];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[y * w + x] = r.getSample(x, y, 0) / max;
                }
            }
            return new Image(name, 1, h, w, out);
        }
        float[] out = new float[3 * plane];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                out[y * w + x] = ((rgb >> 16) & 0xff) / 255f;
                out[plane + y * w + x] = ((rgb >> 8) & 0xff) / 255f;
                out[2 * plane + y * w + x] = (rgb & 0xff) / 255f;
            }
        }
        return new Image(name, 3, h, w, out);
    }
}
