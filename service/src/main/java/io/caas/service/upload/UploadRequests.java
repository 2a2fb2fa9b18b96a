package io.caas.service.upload;

import java.io.IOException;
import java.io.InputStream;
import org.springframework.web.multipart.MultipartFile;

/**
 * Turns the two accepted upload shapes (a multipart "file" part, a raw body) into one {@link Upload}, its file
 * name sanitized ({@link FileNames}).
 */
public final class UploadRequests {

    private UploadRequests() {
    }

    public static Upload fromPart(MultipartFile file) {
        if (file == null || file.isEmpty()) {
            throw new BadUploadException("the multipart request has no non-empty part named 'file'");
        }
        try {
            return new Upload(file.getInputStream(), FileNames.sanitize(file.getOriginalFilename()), file.getSize());
        } catch (IOException e) {
            throw new BadUploadException("cannot read the uploaded part: " + e.getMessage());
        }
    }

    public static Upload fromBody(InputStream body, String filename, Long contentLength) {
        return new Upload(body, FileNames.sanitize(filename), contentLength == null ? -1 : contentLength);
    }
}
