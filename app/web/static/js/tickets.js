// The printed tickets page (/e/{slug}/tickets): its Print button opens
// the browser's print dialog. Everything else on the page is the server's.

const button = document.querySelector('#print');
if (button) button.addEventListener('click', () => window.print());
document.body.dataset.ready = 'true';
