// Export jobs (GetHistoryReports), a button that queues the day's calls as one, and their
// files, fetched with the key (DownloadHistoryReport's URL) and saved by the browser.
import {call, download} from '../api.js';
import {el, fill, showMessage, table} from '../dom.js';

const LISTED = 50;
export const FOLLOW_MS = 2000; // how often the list is read again while a job is unfinished

function downloadButton(job) {
  if (job.status !== 'completed') {
    return job.error ? `${job.status}: ${job.error}` : job.status;
  }
  const button = el('button', {type: 'button', 'data-download': job.history_report_id},
                    `Download ${job.file_name}`);
  button.addEventListener('click', async () => {
    try {
      const file = await call('DownloadHistoryReport', {history_report_id: job.history_report_id});
      await download(file.url, file.file_name);
    } catch (exc) {
      showMessage(`Download failed: ${exc.message}`);
    }
  });
  return button;
}

function records(data) {
  return data ? data.session_count ?? data.transaction_count ?? data.record_count ?? '' : '';
}

// Lists the jobs; true while one is still queued or running.
export async function load() {
  const answer = await call('GetHistoryReports', {history_type: 'all', desc_order: true,
                                                  count: LISTED});
  fill('exports-list', table('Export jobs', [
    ['Job', (r) => r.history_report_id], ['Type', (r) => r.history_type],
    ['Created (UTC)', (r) => r.created], ['Status', (r) => r.status],
    ['Records', (r) => records(r.calculated_data)],
    ['Size (bytes)', (r) => r.file_size ?? ''], ['File', downloadButton]], answer.result));
  return answer.result.some((job) => job.status === 'queued' || job.status === 'running');
}

// Queues the chosen day's calls (the key's own tenant and every tenant below it).
export async function exportDay(ctx) {
  return call('GetCallHistoryAsync', {
    from_date: `${ctx.day} 00:00:00`, to_date: `${ctx.day} 23:59:59`, timezone: 'auto',
    child_account_id: 'all'});
}
