// Model upload by drag and drop or the file picker: POST /v1/models, then on to the new model's page.

import { postFile } from './api.js';
import { showError } from './dom.js';
import { bytes } from './format.js';

export function enableUpload(zone, input, status) {
  const upload = async (file) => {
    if (!file) return;
    status.textContent = `uploading ${file.name} (${bytes(file.size)})…`;
    try {
      const model = await postFile('/v1/models', file);
      location.assign(`model.html?id=${model.id}`);
    } catch (e) {
      showError(status, e);
    }
  };
  input.addEventListener('change', () => upload(input.files[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    upload(e.dataTransfer.files[0]);
  });
}
